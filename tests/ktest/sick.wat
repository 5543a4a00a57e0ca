;; sick — reports itself unhealthy (kiln_health() = 3).
(module
  (func (export "kiln_health") (result i32) (i32.const 3))
  (func (export "one") (result i32) (i32.const 1)))
