;; Loops for compiler/fuel_loops.c (tests/unit/fuel_loops_test.c): which
;; are counted, and what their charges become.  One loop shape per function.
(module
  ;; 0: tail shape, constant: 10 trips of 7, entry 1 + 70 = 71
  (func $tail_const (local $i i32)
    loop
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 10
      i32.ne
      br_if 0
    end)
  ;; 1: step 4 from a constant set before, lt_u: tests 7, 11, ... 103:
  ;; 25 trips of 8, entry 3 + 200 = 203
  (func $tail_step4 (local $i i32)
    i32.const 3
    local.set $i
    loop
      nop
      local.get $i
      i32.const 4
      i32.add
      local.tee $i
      i32.const 100
      i32.lt_u
      br_if 0
    end)
  ;; 2: head shape (clang's sha256 rounds): tests 0, 4, ... 64: 17 trips
  ;; of 10, entry 1 + 170 = 171
  (func $head_eqz (local $i i32)
    loop
      local.get $i
      i32.const 64
      i32.eq
      i32.eqz
      if
        local.get $i
        i32.const 4
        i32.add
        local.set $i
        br 1
      end
    end)
  ;; 3: bound in a local: counted at entry
  (func $dynamic (param $n i32) (local $i i32)
    loop
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.lt_u
      br_if 0
    end)
  ;; 4: a way out besides the end
  (func $early_exit (param $n i32) (local $i i32)
    block
      loop
        local.get $n
        br_if 1
        local.get $i
        i32.const 1
        i32.add
        local.tee $i
        i32.const 10
        i32.ne
        br_if 0
      end
    end)
  ;; 5: the variable written in the body too
  (func $ivar_written (local $i i32)
    loop
      i32.const 0
      local.set $i
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 10
      i32.ne
      br_if 0
    end)
  ;; 6: the bound written in the body
  (func $bound_written (param $n i32) (local $i i32)
    loop
      local.get $n
      i32.const 1
      i32.add
      local.set $n
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.ne
      br_if 0
    end)
  ;; 7: a second way back
  (func $two_backedges (param $n i32) (local $i i32)
    loop
      local.get $n
      br_if 0
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 10
      i32.ne
      br_if 0
    end)
  ;; 8: steps over its bound (0, 4, 8, 12 ... never 10): not counted
  (func $steps_over (local $i i32)
    loop
      local.get $i
      i32.const 4
      i32.add
      local.tee $i
      i32.const 10
      i32.ne
      br_if 0
    end)
  ;; 9: a dynamic shape that calls: keeps its charge per iteration
  (func $calls (param $n i32) (local $i i32)
    loop
      call $tail_const
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.ne
      br_if 0
    end)
  ;; 10: nested constant loops: inner 4 trips of 7 (28) in an outer body
  ;; of 3 + 28 + 7 = 38, 3 trips: entry 1 + 114 = 115
  (func $nested (local $i i32) (local $j i32)
    loop
      i32.const 0
      local.set $i
      loop
        local.get $i
        i32.const 1
        i32.add
        local.tee $i
        i32.const 4
        i32.ne
        br_if 0
      end
      local.get $j
      i32.const 1
      i32.add
      local.tee $j
      i32.const 3
      i32.ne
      br_if 0
    end)
  ;; 11: too much to fold: the inner 2^20 trips of 7 fold into the outer
  ;; loop (3 + 7340032 + 7 = 7340042 a trip), whose 2^20 trips would pass
  ;; 2^40, so it keeps its charge
  (func $huge (local $i i32) (local $j i32)
    loop
      i32.const 0
      local.set $i
      loop
        local.get $i
        i32.const 1
        i32.add
        local.tee $i
        i32.const 1048576
        i32.ne
        br_if 0
      end
      local.get $j
      i32.const 1
      i32.add
      local.tee $j
      i32.const 1048576
      i32.ne
      br_if 0
    end)
  ;; 12: a down counter tested by br_if itself (i != 0), from a parameter
  (func $down (param $n i32)
    loop
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      br_if 0
    end)
  ;; 13: a branch to the if's own label leaves a head-shaped loop
  (func $head_if_exit (param $n i32) (local $i i32)
    loop
      local.get $i
      i32.const 64
      i32.ne
      if
        local.get $n
        br_if 0
        local.get $i
        i32.const 4
        i32.add
        local.set $i
        br 1
      end
    end)
  ;; 14: an iteration may go back before the call: charged at the header
  (func $call_after_back (param $n i32)
    loop
      local.get $n
      br_if 0
      call $tail_const
      br 0
    end))
