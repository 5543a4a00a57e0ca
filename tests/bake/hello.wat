;; hello: writes two lines to stdout and one to stderr through WASI
;; fd_write, for the `stdout: log` / `stderr: log` routing of kiln.yaml.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello from wasm\nsecond line\n")
  (data (i32.const 128) "to stderr")
  (func (export "hello")
    ;; iovec at 0: {64, 28}; iovec at 16: {128, 9}; nwritten at 32
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 28))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
    (i32.store (i32.const 16) (i32.const 128))
    (i32.store (i32.const 20) (i32.const 9))
    (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 32)))))
