;; Charge points with hand-counted costs, checked by tests/unit/fuel_test.c.
;; `end` and `else` are markers and cost nothing.
(module
  (import "env" "g" (global $imported_global i32))
  (import "env" "ext" (func $ext (param i32) (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $straight $loops)
  (global $keep (mut funcref) (ref.func $empty))
  (export "straight" (func $straight))
  (start $empty)

  ;; entry: 3
  (func $straight (result i32)
    i32.const 1
    i32.const 2
    i32.add)

  ;; entry: nothing to pay for, charged 1
  (func $empty)

  ;; entry 5 (const, set, block, loop, get); outer loop 14; inner loop 1
  (func $loops (param $n i32) (result i32) (local $i i32)
    i32.const 0
    local.set $i
    block $exit
      loop $top
        local.get $i
        local.get $n
        i32.ge_u
        br_if $exit
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        loop $inner
          nop
        end
        i32.const 0
        if
          nop
        else
          nop
        end
        br $top
      end
    end
    local.get $i)

  ;; entry 1 (loop), the empty loop charged 1
  (func $empty_loop
    loop
    end)

  ;; entry 6: calls and ref.func get renumbered
  (func $calls (result i32)
    i32.const 5
    call $ext
    drop
    ref.func $straight
    drop
    call $straight)

  ;; entry 8: two results, a return and a branch to the function's label
  (func $multi (param $p i32) (result i32 i64)
    local.get $p
    if
      i32.const 1
      i64.const 2
      return
    end
    i32.const 3
    i64.const 4
    br 0))
