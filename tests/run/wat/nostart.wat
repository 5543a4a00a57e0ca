;; neither _start nor _initialize
(module
  (memory (export "memory") 1)
  (func (export "main")))
