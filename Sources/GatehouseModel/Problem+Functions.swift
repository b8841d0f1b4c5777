// The problems of invoking a function. Each carries the run's error type in its slug, so a
// client tells "my input was wrong" from "the function failed" without reading prose.

extension Problem {
    /// The request body does not satisfy the function's `schema.in` (or is not JSON at all).
    /// `errors` holds each violation with its JSON pointer into the body.
    public static func invalidInput(_ detail: String, errors: [FieldError]? = nil) -> Problem {
        Problem(slug: "invalid-input", title: "Invalid Input", status: 400, detail: detail, errors: errors)
    }

    /// The function answered, but its response does not satisfy `schema.out`.
    public static func invalidOutput(_ detail: String, errors: [FieldError]? = nil) -> Problem {
        Problem(slug: "invalid-output", title: "Bad Gateway", status: 502, detail: detail, errors: errors)
    }

    /// The function cannot be invoked now: no code yet, a failed build, no driver.
    public static func functionNotReady(_ detail: String) -> Problem {
        Problem(slug: "function-not-ready", title: "Service Unavailable", status: 503, detail: detail)
    }

    /// Every slot of the function's `maxConcurrency` is taken and its queue is full.
    public static func functionBusy(_ detail: String) -> Problem {
        Problem(slug: "function-busy", title: "Too Many Requests", status: 429, detail: detail)
    }

    /// The function raised, crashed, trapped or answered something unusable.
    public static func functionFailed(_ detail: String) -> Problem {
        Problem(slug: "function-failed", title: "Bad Gateway", status: 502, detail: detail)
    }

    /// The function did not answer before its `timeoutMs`.
    public static func functionTimeout(_ detail: String) -> Problem {
        Problem(slug: "function-timeout", title: "Gateway Timeout", status: 504, detail: detail)
    }
}
