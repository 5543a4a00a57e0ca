;; Programs run before and after the fuel pass by tests/fuel/harness.c.
;; Costs the harness relies on (see the comments) follow the pass's rule:
;; each instruction is paid at its innermost loop header or at entry.
(module
  (type $i_i (func (param i32) (result i32)))
  (import "env" "mul" (func $mul (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 8 funcref)
  (elem (i32.const 0) $double $square $fib)
  (elem $later func $triple)
  (global $started (mut i32) (i32.const 0))
  (global $fref funcref (ref.func $square))
  (start $init)

  (func $init
    i32.const 7
    global.set $started)

  ;; an endless loop: only fuel stops it
  (func (export "spin")
    (loop (br 0)))

  ;; unbounded recursion: only fuel (or the stack) stops it
  (func $recurse (export "recurse") (param i32) (result i32)
    local.get 0
    i32.const 1
    i32.add
    call $recurse)

  ;; entry costs 3 (block, loop, local.get after), the loop 9 per header;
  ;; unrolled into 4 copies it is charged 36 for every 4 headers
  (func (export "count") (param $n i32) (result i32) (local $i i32)
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
        br $top
      end
    end
    local.get $i)

  (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func $square (param i32) (result i32) (call $mul (local.get 0) (local.get 0)))
  (func $triple (param i32) (result i32) (call $mul (local.get 0) (i32.const 3)))
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))

  (func (export "started") (result i32) (global.get $started))
  (func (export "fib") (param i32) (result i32) (call $fib (local.get 0)))
  ;; through the active element segment
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect $t (type $i_i) (local.get 1) (local.get 0)))
  ;; ref.func in code, table.set, then call_indirect
  (func (export "via_ref_func") (param i32) (result i32)
    (table.set $t (i32.const 5) (ref.func $double))
    (call_indirect $t (type $i_i) (local.get 0) (i32.const 5)))
  ;; ref.func in a global initialiser
  (func (export "via_global") (param i32) (result i32)
    (table.set $t (i32.const 6) (global.get $fref))
    (call_indirect $t (type $i_i) (local.get 0) (i32.const 6)))
  ;; a passive segment through table.init
  (func (export "via_passive") (param i32) (result i32)
    (table.init $t $later (i32.const 7) (i32.const 0) (i32.const 1))
    (call_indirect $t (type $i_i) (local.get 0) (i32.const 7)))
  ;; Counted loops (compiler/fuel_loops.c): paid for in full before they
  ;; start, by the same total a charge per iteration would reach.
  ;; static: 1000 trips of 14 folded into the entry charge, 2 + 14000 = 14002
  (func (export "static_sum") (result i32) (local $i i32) (local $acc i32)
    loop
      local.get $acc
      local.get $i
      i32.add
      local.set $acc
      i32.const 16
      local.get $acc
      i32.store
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 1000
      i32.lt_u
      br_if 0
    end
    local.get $acc)
  (func (export "peek16") (result i32) (i32.load (i32.const 16)))
  (func (export "poke16") (param i32) (i32.store (i32.const 16) (local.get 0)))
  ;; dynamic, tail shape: n trips of 11 (2^32 for n = 0), 2 + 11 * trips
  (func (export "dyn_count") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    loop
      local.get $acc
      i32.const 3
      i32.add
      local.set $acc
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get $n
      i32.ne
      br_if 0
    end
    local.get $acc)
  ;; dynamic, counting down with a signed test: max(n, 1) trips of 11
  (func (export "dyn_down") (param $n i32) (result i32) (local $acc i32)
    loop
      local.get $acc
      i32.const 1
      i32.add
      local.set $acc
      local.get $n
      i32.const 1
      i32.sub
      local.tee $n
      i32.const 0
      i32.gt_s
      br_if 0
    end
    local.get $acc)
  ;; dynamic, head shape (tested before the step): n + 1 headers of 13
  (func (export "head_count") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    loop
      local.get $i
      local.get $n
      i32.lt_u
      if
        local.get $acc
        i32.const 2
        i32.add
        local.set $acc
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br 1
      end
    end
    local.get $acc)
  ;; the counted shape, but the body also writes $i: never ends (the
  ;; values at the test stay odd), so it must stay charged per iteration
  (func (export "reset_spin") (result i32) (local $i i32)
    loop
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (i32.eq (local.get $i) (i32.const 5)) (then (local.set $i (i32.const 0))))
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 10
      i32.ne
      br_if 0
    end
    local.get $i)
  ;; Unrolled loops (instrument_fuel.c, unroll()): ways out of the middle,
  ;; a block inside, a return, a branch to the function's label; the plain
  ;; and fueled builds must agree for every n, m.
  (func (export "unroll_mix") (param $n i32) (param $m i32) (result i32)
    (local $i i32) (local $acc i32)
    block $out
      loop $top
        block $skip
          local.get $i
          i32.const 1
          i32.and
          br_if $skip
          local.get $acc
          local.get $i
          i32.add
          local.set $acc
        end
        local.get $i
        local.get $m
        i32.eq
        br_if $out
        local.get $i
        i32.const 1000
        i32.eq
        if
          local.get $acc
          i32.const 7
          i32.add
          return
        end
        local.get $acc
        i32.const 9
        i32.add
        local.get $i
        i32.const 900
        i32.eq
        br_if 2
        drop
        local.get $i
        i32.const 1
        i32.add
        local.tee $i
        local.get $n
        i32.lt_u
        br_if $top
      end
    end
    local.get $acc)
  ;; A loop whose every iteration calls a defined function passes its cost
  ;; to the call (the callee's entry charge checks it): endless, it must
  ;; still end in the fuel trap; so must one that can go back before it.
  (func $nothing)
  (func (export "spin_call")
    (loop (call $nothing) (br 0)))
  (func (export "spin_skip") (param $n i32)
    loop
      local.get $n
      br_if 0
      call $nothing
      br 0
    end)
  ;; a loop the C compiler cannot fold into a formula (for the bench)
  (func (export "lcg") (param $n i32) (result i32) (local $x i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245))
                               (i32.const 12345)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $x))
  ;; a loop that computes something, with a call and memory
  (func (export "sum_squares") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.const 0) (call $square (local.get $i)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load (i32.const 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
