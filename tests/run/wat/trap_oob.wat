;; 129: a load past the end of the one page of memory
(module
  (memory (export "memory") 1)
  (func (export "_start") (drop (i32.load (i32.const 0xfffffff0)))))
