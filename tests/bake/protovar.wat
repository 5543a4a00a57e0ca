;; protovar: kiln_protocol_version() is not a constant kiln can read.
(module
  (global $v (mut i32) (i32.const 1))
  (func (export "kiln_protocol_version") (result i32)
    global.get $v))
