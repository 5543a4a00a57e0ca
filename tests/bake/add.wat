;; add: typed exports and the kiln protocol version, no imports.
(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "kiln_protocol_version") (result i32)
    i32.const 1))
