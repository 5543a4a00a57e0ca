;; calls — the call micro-benchmarks of kiln-bench: nop (host -> wasm) and
;; call_nop (n calls of the host's no-op import bench.nop, wasm -> host);
;; loop_only is call_nop's loop without the call, to subtract.  Built by
;; `kiln compile` with fuel (kiln_module_micro) and without
;; (kiln_module_micro_nofuel).
(module
  (import "bench" "nop" (func $host_nop))
  (func (export "nop"))
  (func (export "call_nop") (param i32) (local $i i32)
    (loop $l
      (call $host_nop)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0)))))
  (func (export "loop_only") (param i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))))
