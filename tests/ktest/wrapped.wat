;; wrapped — the shape wasm-ld gives a WASI command's exports: each one
;; calls the function, then __wasm_call_dtors.  The bake must read the
;; protocol version through the wrapper.  PROTO is replaced by run.sh.
(module
  (global $g (mut i32) (i32.const 1))
  (func $dtors)
  (func $proto (result i32) PROTO)
  (func $main)
  (func (export "_start") (call $main) (call $dtors))
  (func (export "kiln_protocol_version") (result i32) (call $proto) (call $dtors)))
