import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A failure to get a response, in words a user can act on. NIO's own descriptions are written
/// for NIO developers ("Connection errors: SingleConnectionFailure(target: [IPv4]...").
enum TransportFailure {
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve the host name '\(error.host)'"
            }
            guard let first = error.connectionErrors.first else { return "cannot connect to \(error.host):\(error.port)" }
            return describe(first.error)
        case let error as IOError:
            let reason = String(cString: strerror(error.errnoCode)).lowercased()
            return error.errnoCode == ECONNREFUSED ? "\(reason) (is `gatehouse serve` running there?)" : reason
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout: return "the request timed out"
            case .connectTimeout: return "connecting timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return String(describing: error)
            }
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            // The common case by far: a dev server's certificate, signed by its own CA.
            let untrusted = String(describing: error).contains("CERTIFICATE_VERIFY_FAILED")
            let what = untrusted ? "the server's certificate is not trusted" : "TLS failed (\(error))"
            return "\(what); pass --cacert with the server's CA certificate, or --insecure for a dev server"
        case is NIOTooManyBytesError:
            return "the response exceeds \(AsyncHTTPTransport.maxResponseBytes) bytes"
        default:
            return String(describing: error)
        }
    }
}
