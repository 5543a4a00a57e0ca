;; proto9: speaks a kiln protocol no runtime supports; the bake refuses it.
(module
  (func (export "kiln_protocol_version") (result i32)
    i32.const 9))
