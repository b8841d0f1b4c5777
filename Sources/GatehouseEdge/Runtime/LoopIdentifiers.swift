/// Request ids and W3C trace ids for one event loop, from a generator seeded once from the
/// system's.
///
/// Drawing them straight from `SystemRandomNumberGenerator` cost five `getrandom` syscalls per
/// proxied request (two words for the request id, three for the trace context). These ids must
/// be unique and unguessable enough for sampling, not secret — clients may send their own — so
/// a fast generator reseeded from the system every `reseedInterval` draws is the right tool.
/// One per loop: no locks, no sharing.
final class LoopIdentifiers {
    private var generator = Xoshiro256StarStar()
    private var drawsSinceSeed = 0
    private static let reseedInterval = 1 << 20

    init() {}

    /// 128 random bits as 32 lowercase hex digits.
    func requestId() -> String {
        Self.hex(next(), next())
    }

    /// A fresh `traceparent`: version 00, random non-zero trace and parent ids, sampled.
    func traceparent() -> String {
        let traceHigh = next() | 1  // non-zero, as the spec requires
        let trace = Self.hex(traceHigh, next())
        let parent = Self.hex(next() | 1)
        return "00-" + trace + "-" + parent + "-01"
    }

    private func next() -> UInt64 {
        drawsSinceSeed += 1
        if drawsSinceSeed >= Self.reseedInterval {
            drawsSinceSeed = 0
            generator = Xoshiro256StarStar()
        }
        return generator.next()
    }

    static func hex(_ words: UInt64...) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: words.count * 16) { buffer in
            var index = 0
            for word in words {
                for shift in stride(from: 60, through: 0, by: -4) {
                    buffer[index] = digits.utf8Start[Int((word >> UInt64(shift)) & 0xF)]
                    index += 1
                }
            }
            return index
        }
    }
}

/// xoshiro256** (Blackman & Vigna): fast, 256 bits of state, seeded from the system generator.
struct Xoshiro256StarStar: RandomNumberGenerator {
    private var s0, s1, s2, s3: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        repeat {
            (s0, s1, s2, s3) = (system.next(), system.next(), system.next(), system.next())
        } while s0 | s1 | s2 | s3 == 0
    }

    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }
}
