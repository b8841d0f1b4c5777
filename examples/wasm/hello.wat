;; A WAGI function in WebAssembly text: Gatehouse runs it with WasmKit, the request as CGI
;; variables and stdin, the response as CGI headers and body on stdout.
;;   gatehouse function create hello-wasm --org acme --runtime wasm --code examples/wasm/hello.wat
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; the response head at 1024: "Content-Type: text/plain\n\nhello from wasm, you sent: "
  (data (i32.const 1024) "Content-Type: text/plain\n\nhello from wasm, you sent: ")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (local $n i32)
    (call $write (i32.const 1024) (i32.const 53))
    ;; copy stdin (the request body) to stdout, 4 KiB at a time, from offset 4096
    (block $done
      (loop $copy
        (i32.store (i32.const 16) (i32.const 4096))
        (i32.store (i32.const 20) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (local.set $n (i32.load (i32.const 24)))
        (br_if $done (i32.eqz (local.get $n)))
        (call $write (i32.const 4096) (local.get $n))
        (br $copy)))))
