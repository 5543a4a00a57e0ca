;; an initial memory of 80 pages (5 MiB)
(module
  (memory (export "memory") 80)
  (func (export "_start")))
