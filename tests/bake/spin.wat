;; spin: never returns; the fuel grant from kiln.yaml must stop it.
(module
  (memory 2)
  (func (export "spin") (loop (br 0))))
