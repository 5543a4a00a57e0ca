;; 135: unbounded recursion (the store after the call keeps C compilers
;; from turning it into a loop)
(module
  (memory (export "memory") 1)
  (func $rec (param i32) (result i32) (local $r i32)
    (local.set $r (call $rec (i32.add (local.get 0) (i32.const 1))))
    (i32.store (i32.const 0) (local.get 0))
    (i32.add (local.get $r) (i32.const 1)))
  (func (export "_start") (drop (call $rec (i32.const 0)))))
