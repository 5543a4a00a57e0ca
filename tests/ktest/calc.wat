;; calc — fixture of the `kiln test` suite (tests/ktest/run.sh): typed
;; exports, every way to trap, a stdin-to-stdout command, and the optional
;; protocol and health exports.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "kiln" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "calc says hello")
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
  (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5)))
  (func (export "sqrt32") (param f32) (result f32) (f32.sqrt (local.get 0)))
  (func (export "pair") (param i32) (result i32 i64)
    (local.get 0) (i64.extend_i32_s (local.get 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "boom") (unreachable))
  (func (export "spin") (loop $l (br $l)))
  (func (export "poke") (param i32) (i32.store (local.get 0) (i32.const 1)))
  (func (export "hello") (call $log (i32.const 2) (i32.const 0) (i32.const 15)))
  (func (export "kiln_protocol_version") (result i32) (i32.const 1))
  (func (export "kiln_health") (result i32) (i32.const 0))
  ;; _start: copy stdin to stdout, 64 bytes at a time
  (func (export "_start") (local $n i32)
    (block $done
      (loop $more
        ;; iovec at 1024: buf 2048, len 64; nread at 1040
        (i32.store (i32.const 1024) (i32.const 2048))
        (i32.store (i32.const 1028) (i32.const 64))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 1040)))
        (local.set $n (i32.load (i32.const 1040)))
        (br_if $done (i32.eqz (local.get $n)))
        (i32.store (i32.const 1028) (local.get $n))
        (drop (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 1040)))
        (br $more)))))
