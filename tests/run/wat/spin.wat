;; 136 under --fuel, 137 under --timeout: a loop that stores nothing
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop (br 0))))
