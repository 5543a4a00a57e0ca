;; memory.grow by 32 pages (2 MiB): exit 0 when it worked, 1 when refused
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $exit (i32.eq (memory.grow (i32.const 32)) (i32.const -1)))))
