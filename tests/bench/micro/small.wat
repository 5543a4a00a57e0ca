;; small — the instantiation micro-benchmarks' module: one page, one data
;; segment, a table.  Built by `kiln compile` (fuel on, the default) as
;; kiln_module_micro_small.
(module
  (memory 1)
  (data (i32.const 0) "hello, kiln")
  (table 2 funcref)
  (elem (i32.const 0) $nop)
  (func $nop (export "nop"))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))
