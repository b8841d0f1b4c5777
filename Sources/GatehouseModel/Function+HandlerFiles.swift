// Where a process function's handler lives in its code: the one list the runtime (which checks
// the file is there) and the build check (which compiles it) both read.

extension Function.ProcessRuntime {
    /// The files the bootstrap loads for `handler`, in the order it tries them: `main.handle` is
    /// `main.py` or `main/__init__.py` for python3, `main.js`, `main.cjs` or `main/index.js` for
    /// node; an `exec` handler is the executable's own path.
    public var handlerFileCandidates: [String] {
        let module = handler.split(separator: ".").dropLast().joined(separator: "/")
        switch language {
        case .python3: return ["\(module).py", "\(module)/__init__.py"]
        case .node: return ["\(module).js", "\(module).cjs", "\(module)/index.js"]
        case .exec: return [handler]
        }
    }
}
