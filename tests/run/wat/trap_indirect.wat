;; 134: call_indirect through a null table entry
(module
  (type $v (func))
  (table 2 funcref)
  (memory (export "memory") 1)
  (func (export "_start") (call_indirect (type $v) (i32.const 1))))
