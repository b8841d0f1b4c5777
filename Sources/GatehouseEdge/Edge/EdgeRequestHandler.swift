import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseRuntimes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves one HTTP/1.1 connection or one HTTP/2 stream (through `HTTP2FramePayloadToHTTP1ServerCodec`):
/// routes each request over the loop's snapshot and proxies it to the function's upstream,
/// streaming bodies both ways with back-pressure. Everything runs on the channel's event loop.
final class EdgeRequestHandler: ChannelInboundHandler, UpstreamExchange {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: EdgeLoopState
    private let scheme: String
    private let isHTTP2: Bool
    /// What the HTTP/2 header block said before conversion (nil on HTTP/1.1).
    private let http2Facts: HTTP2RequestFacts?
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    /// Numbers exchanges, so a verification finishing off the loop finds the one it was for.
    private var exchangeSerial = 0

    /// One request's progress. A new one starts at each request head.
    private final class Exchange: SweptDeadline {
        let requestId: String
        let version: HTTPVersion
        let method: HTTPMethod
        let path: Substring
        var route: CompiledRoute?
        let serial: Int
        /// A request routed but waiting for its credential to be verified (see `verifyOffLoop`).
        var awaitingVerification: RoutedRequest?
        var upstream: UpstreamConnection?
        /// Set when the request goes through the invocation pipeline rather than a stream.
        var invocation: BufferedInvocation?
        /// Request parts that arrived before the upstream connection did.
        var pending: [HTTPClientRequestPart] = []
        var pendingBytes = 0
        /// The upstream request's head, without its framing field until `framing` is decided.
        var upstreamHead: HTTPRequestHead?
        var upstreamHeadWritten = false
        /// How the client framed the body, and so how Gatehouse frames it upstream.
        var framing = RequestFraming.none
        /// The host the request named (`:authority` on HTTP/2), validated.
        var authority: String?
        var bodyBytes = 0
        /// The route's own body limit (its request limits), besides the edge's global one.
        var policyBodyLimit = Int.max
        /// Resolved when a rule of the route needs it (see `EdgeRulesSummary`).
        var clientAddress: IPAddress?
        /// CORS and `RateLimit-*` fields for the response, the function's or the edge's.
        var edgeFields: [(String, String)] = []
        var requestEnded = false
        var responseStarted = false
        /// The exchange is over for the upstream: response done, failed, or answered by the edge.
        var finished = false
        /// When the route's timeout runs out; re-armed at each sign of upstream progress.
        var deadline = NIODeadline.distantFuture
        var sweeperSlot = -1
        weak var handler: EdgeRequestHandler?

        func deadlinePassed() { handler?.timedOut(self) }

        init(requestId: String, version: HTTPVersion, method: HTTPMethod, path: Substring, serial: Int) {
            self.serial = serial
            self.requestId = requestId
            self.version = version
            self.method = method
            self.path = path
        }
    }

    /// Stop reading from the client while this much is buffered for a connecting upstream.
    private static let pendingLimit = 256 * 1024

    init(state: EdgeLoopState, scheme: String, http2Facts: HTTP2RequestFacts? = nil) {
        self.state = state
        self.scheme = scheme
        self.isHTTP2 = http2Facts != nil
        self.http2Facts = http2Facts
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: - From the client

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): begin(head, context: context)
        case .body(let buffer): requestBody(buffer, context: context)
        case .end: requestEnd()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstream?.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.upstream?.setReading(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange, !exchange.finished { abandon(exchange) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let exchange, !exchange.finished { abandon(exchange) }
        context.close(promise: nil)
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let requestId = RequestID.from(head.headers, identifiers: state.identifiers)
        let target: RequestTarget
        do {
            target = try RequestTarget(uri: head.uri)
        } catch {
            let exchange = Exchange(requestId: requestId, version: head.version, method: head.method, path: "", serial: nextSerial())
            self.exchange = exchange
            if case .malformed(let reason) = error { respond(.badRequest(reason), to: exchange) }
            return
        }
        let exchange = Exchange(
            requestId: requestId, version: head.version, method: head.method, path: target.rawPath, serial: nextSerial())
        self.exchange = exchange
        guard admitFraming(head, exchange: exchange) else { return }
        if target.rawPath == "/healthz" {
            exchange.finished = true
            let (responseHead, body) = EdgeResponse.health(
                revision: state.snapshot.revision, requestId: requestId, version: head.version,
                allocator: context.channel.allocator)
            write(responseHead, body: body, closeAfter: false)
            return
        }
        switch state.snapshot.route(host: exchange.authority.map { Substring($0) }, target: target, method: head.method.rawValue) {
        case .notFound(let reason):
            respond(.notFound(reason + trailingSlashHint(target, method: head.method)), to: exchange)
        case .methodNotAllowed(let allowed, let route):
            exchange.route = route  // the log line names the route whose methods refused it
            // A preflight is the CORS policy's to answer, whether or not the route takes OPTIONS.
            if let route, route.edgeRules.cors != nil, EdgePolicyCheck.isPreflight(head) {
                guard passesEdgeRules(head, route: route, exchange: exchange, context: context) else { return }
            }
            respond(
                .methodNotAllowed(head.method.rawValue, allowed: allowed), to: exchange,
                extraHeaders: [("allow", allowed.joined(separator: ", "))])
        case .route(let route, let parameters, let relativePath):
            exchange.route = route
            if !route.edgeRulesSummary.isEmpty, !passesEdgeRules(head, route: route, exchange: exchange, context: context) {
                return
            }
            if case .length(let length) = exchange.framing, length > state.settings.maxBodyBytes {
                respond(.payloadTooLarge(limit: state.settings.maxBodyBytes), to: exchange, closeAfter: true)
                return
            }
            let request = RoutedRequest(head: head, route: route, parameters: parameters, relativePath: relativePath, target: target)
            let authentication = state.authenticator.authenticate(
                head.headers, rules: route.auth, identity: route.identity, now: Date())
            proceed(request, authentication, exchange: exchange, context: context)
        }
    }

    /// A 404 for `/acme/hello/` says so when `/acme/hello` is a route (only on the 404 path).
    private func trailingSlashHint(_ target: RequestTarget, method: HTTPMethod) -> String {
        guard target.rawPath.count > 1, target.rawPath.hasSuffix("/"),
            let trimmed = try? RequestTarget(uri: String(target.rawPath.dropLast()) + target.query)
        else { return "" }
        if case .notFound = state.snapshot.route(host: exchange?.authority.map { Substring($0) }, target: trimmed, method: method.rawValue) {
            return ""
        }
        return "; '\(trimmed.rawPath)' (without the trailing slash) is a route"
    }

    /// The request's host and body framing, which must be unambiguous before anything reads the
    /// request: false when the edge has refused it (and closes, since what follows on an
    /// HTTP/1.1 connection cannot be delimited with confidence).
    private func admitFraming(_ head: HTTPRequestHead, exchange: Exchange) -> Bool {
        let authority: Result<String?, RequestAuthorityRefusal>
        do throws(RequestFraming.Refusal) {
            if let facts = http2Facts {
                authority = RequestAuthority.http2(authority: facts.authority, hosts: facts.hosts)
                exchange.framing = try RequestFraming.http2(
                    contentLengths: facts.contentLengths, endStream: facts.endStream, method: head.method)
            } else {
                authority = RequestAuthority.http1(head)
                exchange.framing = try RequestFraming.http1(head)
            }
        } catch {
            switch error {
            case .malformed(let reason): respond(.badRequest(reason), to: exchange, closeAfter: true)
            case .unsupportedCoding(let reason): respond(.notImplemented(reason), to: exchange, closeAfter: true)
            }
            return false
        }
        switch authority {
        case .success(let host):
            exchange.authority = host
            return true
        case .failure(let refusal):
            respond(.badRequest(refusal.reason), to: exchange, closeAfter: true)
            return false
        }
    }

    /// The route's IP rules, CORS and request limits (`EdgePolicyCheck`), before authentication:
    /// false when the edge has answered in the function's place.
    private func passesEdgeRules(
        _ head: HTTPRequestHead, route: CompiledRoute, exchange: Exchange, context: ChannelHandlerContext
    ) -> Bool {
        let summary = route.edgeRulesSummary
        if summary.needsClientAddress {
            exchange.clientAddress = ClientAddress.resolve(
                peer: context.channel.remoteAddress, headers: head.headers, trustedProxies: state.settings.trustedProxies)
        }
        exchange.policyBodyLimit = summary.maxBodyBytes ?? .max
        switch EdgePolicyCheck.check(head, rules: route.edgeRules, clientAddress: exchange.clientAddress) {
        case .proceed(let corsHeaders):
            exchange.edgeFields = corsHeaders
            return true
        case .preflight(let corsHeaders):
            let responseHead = EdgeResponse.noContent(
                requestId: exchange.requestId, version: exchange.version, extraHeaders: corsHeaders)
            answer(responseHead, body: nil, exchange: exchange, closeAfter: false)
            return false
        case .refuse(let refusal):
            respond(refusal.problem, to: exchange, extraHeaders: refusal.headers, closeAfter: refusal.closeAfter)
            return false
        }
    }

    private func nextSerial() -> Int {
        exchangeSerial &+= 1
        return exchangeSerial
    }

    /// A request the router matched, kept while its authentication is decided.
    struct RoutedRequest {
        let head: HTTPRequestHead
        let route: CompiledRoute
        let parameters: [Substring]
        let relativePath: Substring
        let target: RequestTarget
    }

    // MARK: - Authentication

    private func proceed(
        _ request: RoutedRequest, _ authentication: EdgeAuthentication, exchange: Exchange, context: ChannelHandlerContext
    ) {
        switch authentication {
        case .anonymous:
            proxy(request, caller: nil, exchange: exchange, context: context)
        case .authenticated(let principal, let credential):
            proxy(request, caller: (principal, credential), exchange: exchange, context: context)
        case .refused(let refusal):
            respond(refusal.problem, to: exchange, extraHeaders: [("www-authenticate", refusal.challenge.headerValue)])
        case .needsVerification(let pending):
            verifyOffLoop(pending, request: request, exchange: exchange, context: context)
        }
    }

    /// Verification that may suspend (fetching an issuer's keys, at most once per refresh
    /// interval whatever the number of such tokens; checking a service account's assertion)
    /// runs off the loop. Body parts arriving meanwhile wait in `pending`, as they do for a
    /// connecting upstream.
    private func verifyOffLoop(
        _ pending: PendingVerification, request: RoutedRequest, exchange: Exchange, context: ChannelHandlerContext
    ) {
        exchange.awaitingVerification = request
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let serial = exchange.serial
        Task {
            let outcome = await pending.run()
            bound.eventLoop.execute { bound.value.verified(outcome, pending: pending, serial: serial) }
        }
    }

    private func verified(_ outcome: PendingVerification.Outcome, pending: PendingVerification, serial: Int) {
        guard let context, let exchange, exchange.serial == serial, !exchange.finished,
            let request = exchange.awaitingVerification
        else { return }
        exchange.awaitingVerification = nil
        let authentication = state.authenticator.complete(pending, with: outcome, rules: request.route.auth, now: Date())
        proceed(request, authentication, exchange: exchange, context: context)
    }

    // MARK: - To the upstream

    private func proxy(
        _ request: RoutedRequest, caller: (Principal, TokenDigest)?, exchange: Exchange, context: ChannelHandlerContext
    ) {
        let (head, route, parameters, relativePath, target) = (
            request.head, request.route, request.parameters, request.relativePath, request.target
        )
        if let authorizer = route.invokeAuthorizer {
            let decision = authorizer.decide(
                subjects: caller?.0.policySubjects ?? [], resource: "functions", action: "invoke")
            guard decision.allowed else {
                respond(
                    .forbidden("calling this route needs functions:invoke in org '\(route.org)': \(decision.rule)"),
                    to: exchange)
                return
            }
        }
        if !route.edgeRules.rateLimits.isEmpty {
            switch RateLimitCheck.check(
                route.edgeRules.rateLimits, route: route, caller: caller?.0, clientAddress: exchange.clientAddress,
                limiter: state.rateLimiter, now: NIODeadline.now().uptimeNanoseconds)
            {
            case .allowed(let headers):
                exchange.edgeFields += headers
            case .refused(let refusal):
                respond(refusal.problem, to: exchange, extraHeaders: refusal.headers)
                return
            }
        }
        if !route.edgeRules.quotas.isEmpty,
            let refusal = QuotaCheck.check(
                route.edgeRules.quotas, route: route, caller: caller?.0, counter: state.quotaCounter,
                now: Int64(Date().timeIntervalSince1970))
        {
            respond(refusal.problem, to: exchange, extraHeaders: refusal.headers)
            return
        }
        let forwarding = ProxyHeaders.Forwarding(
            clientAddress: context.channel.remoteAddress, scheme: scheme,
            originalHost: exchange.authority, requestId: exchange.requestId, receivedVersion: head.version,
            upstreamAuthority: route.upstream?.authority ?? exchange.authority ?? "", org: route.org,
            route: route.name, function: route.functionName, parameterNames: route.parameterNames,
            parameterValues: parameters, identifiers: state.identifiers)
        var headers = ProxyHeaders.upstreamRequest(head.headers, forwarding)
        var identityToken: String?
        if let (principal, credential) = caller {
            // The function learns who called from the identity token; the caller's own
            // credential is Gatehouse's to check and goes no further.
            headers.remove(name: "authorization")
            headers.remove(name: route.auth.apiKeyHeader)
            guard let issuer = route.identity.issuer else {
                respond(.unavailable("Gatehouse's token issuer is starting; try again shortly"), to: exchange)
                return
            }
            guard
                let token = state.authenticator.identityToken(
                    for: principal, credential: credential, function: route.functionAudience, issuer: issuer, now: Date())
            else {
                respond(.internalError("the caller's identity could not be signed for the function"), to: exchange)
                return
            }
            headers.add(name: ProxyHeaders.identityHeader, value: token)
            identityToken = token
        }
        let async = state.settings.invocation?.asyncRuns != nil && BufferedInvocation.prefersAsync(head.headers)
        guard let upstream = route.upstream, !async else {
            let invocation = BufferedInvocation(
                method: head.method.rawValue, path: relativePath, query: target.query, headers: headers,
                caller: caller.map { BufferedInvocation.caller($0.0, identityToken: identityToken) }, async: async,
                allocator: context.channel.allocator)
            gather(invocation, exchange: exchange)
            return
        }
        let uri = upstream.url.basePath + relativePath + target.query
        exchange.upstreamHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: uri, headers: headers)
        armTimer(exchange)
        let pool = state.pool
        pool.acquire(upstream.key) { [weak self] result in
            guard let self else {
                // The client went away while this exchange waited: the connection must go back
                // to the pool, or its slot is lost for good.
                if case .success(let connection) = result { pool.release(connection) }
                return
            }
            self.connected(result, exchange: exchange)
        }
    }

    private func connected(_ result: Result<UpstreamConnection, any Error>, exchange: Exchange) {
        switch result {
        case .failure(let error):
            guard !exchange.finished else { return }
            respond(
                .badGateway("the function's upstream could not be reached"), to: exchange,
                logReason: "the function's upstream could not be reached (\(describe(error)))")
        case .success(let connection):
            guard !exchange.finished, exchange === self.exchange, exchange.upstreamHead != nil else {
                state.pool.release(connection)
                return
            }
            exchange.upstream = connection
            connection.attach(self)
            sendPending(exchange)
            setClientReading(connection.channel.isWritable)
        }
    }

    /// Writes what waits for the upstream: the head, once its framing is known, then the body
    /// parts in order. Until then parts queue in `pending` (bounded by `pendingLimit`).
    private func sendPending(_ exchange: Exchange) {
        guard let upstream = exchange.upstream, var head = exchange.upstreamHead, exchange.framing != .undecided else { return }
        if !exchange.upstreamHeadWritten {
            if let field = exchange.framing.upstreamField(method: head.method, upstreamIsHTTP2: upstream.isStream) {
                head.headers.add(name: field.name, value: field.value)
            }
            exchange.upstreamHeadWritten = true
            upstream.write(.head(head), flush: false)
        }
        for part in exchange.pending { upstream.write(part, flush: false) }
        exchange.pending = []
        exchange.pendingBytes = 0
        upstream.flush()
    }

    private func requestBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard let exchange, !exchange.finished else { return }
        exchange.bodyBytes += buffer.readableBytes
        let limit = min(state.settings.maxBodyBytes, exchange.policyBodyLimit)
        if exchange.bodyBytes > limit {
            if exchange.responseStarted {
                abandon(exchange)
                context.close(promise: nil)
            } else {
                closeUpstream(exchange)
                respond(.payloadTooLarge(limit: limit), to: exchange, closeAfter: true)
            }
            return
        }
        if exchange.framing == .undecided { exchange.framing = .streamed }
        if let invocation = exchange.invocation {
            var buffer = buffer
            invocation.body.writeBuffer(&buffer)
        } else if let upstream = exchange.upstream, exchange.upstreamHeadWritten {
            upstream.write(.body(.byteBuffer(buffer)), flush: false)
            if !upstream.channel.isWritable { setClientReading(false) }
        } else {
            exchange.pending.append(.body(.byteBuffer(buffer)))
            exchange.pendingBytes += buffer.readableBytes
            sendPending(exchange)
            if exchange.pendingBytes > Self.pendingLimit { setClientReading(false) }
        }
    }

    private func requestEnd() {
        guard let exchange else { return }
        exchange.requestEnded = true
        guard !exchange.finished else { return }
        if exchange.framing == .undecided { exchange.framing = .none }
        // The codecs enforce a declared length already; should a body ever end short or long
        // anyway, the upstream connection is mid-message and must not carry another request.
        if case .length(let declared) = exchange.framing, declared != exchange.bodyBytes {
            fail(
                exchange, .badRequest("the request body is \(exchange.bodyBytes) bytes, not the \(declared) its Content-Length declared"),
                midResponse: "request body length differs from its Content-Length")
            return
        }
        if exchange.invocation != nil {
            invoke(exchange)
        } else if let upstream = exchange.upstream, exchange.upstreamHeadWritten {
            upstream.write(.end(nil), flush: true)
        } else {
            exchange.pending.append(.end(nil))
            sendPending(exchange)
        }
    }

    // MARK: - Through the invocation pipeline

    /// Gathers the request body for the pipeline; the part that arrived during authentication
    /// is already waiting in `pending`. The route's timeout bounds the upload meanwhile.
    private func gather(_ invocation: BufferedInvocation, exchange: Exchange) {
        for case .body(.byteBuffer(var buffer)) in exchange.pending { invocation.body.writeBuffer(&buffer) }
        exchange.pending = []
        exchange.pendingBytes = 0
        exchange.invocation = invocation
        setClientReading(true)
        armTimer(exchange)
        if exchange.requestEnded { invoke(exchange) }
    }

    /// Runs the pipeline off the loop (it awaits the function) and answers on it.
    private func invoke(_ exchange: Exchange) {
        guard let invocation = exchange.invocation, !invocation.started, let route = exchange.route, let context else { return }
        invocation.started = true
        // The invoker keeps the function's own deadline from here on.
        state.timeouts.unwatch(exchange)
        guard let pipeline = state.settings.invocation else {
            respond(.functionNotReady("this edge cannot invoke functions of runtime '\(route.function.function.runtime.rawValue)'"), to: exchange)
            return
        }
        let request = invocation.request(route: route, requestId: exchange.requestId)
        let function = route.function
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let serial = exchange.serial
        let isAsync = invocation.async
        Task {
            let answer: InvocationAnswer
            if isAsync, let queue = pipeline.asyncRuns {
                do {
                    let run = try await queue.accept(request, function: function)
                    answer = .accepted(run, location: "\(pipeline.runsBaseURL())/v1/orgs/\(run.org)/runs/\(run.id)")
                } catch {
                    answer = .failed(.unavailable("the run could not be queued: \(error)"))
                }
            } else {
                let outcome = await pipeline.invoker.invoke(request, function: function)
                if let recorder = pipeline.recorder {
                    recorder.record(outcome.completing(request.context.run(status: .running, createdAt: outcome.startedAt)))
                }
                answer = .outcome(outcome, runId: request.context.runId)
            }
            bound.eventLoop.execute { bound.value.invoked(answer, serial: serial) }
        }
    }

    private func invoked(_ result: InvocationAnswer, serial: Int) {
        guard let context, let exchange, exchange.serial == serial, !exchange.finished else { return }
        switch result {
        case .outcome(let outcome, _) where outcome.problem != nil:
            log(exchange, status: outcome.status, reason: outcome.problem?.detail ?? "")
        case .failed(let problem):
            log(exchange, status: problem.status, reason: problem.detail ?? problem.title)
        default: break
        }
        var (head, body) = result.response(
            requestId: exchange.requestId, version: exchange.version, org: exchange.route?.org, function: exchange.route?.functionName,
            allocator: context.channel.allocator)
        if !exchange.edgeFields.isEmpty {
            head.headers.applyEdgeFields(exchange.edgeFields, edgeOwnsCORS: exchange.route?.edgeRules.cors != nil)
        }
        answer(head, body: body.readableBytes > 0 ? body : nil, exchange: exchange, closeAfter: false)
    }

    // MARK: - From the upstream

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        guard let exchange, !exchange.finished, let context else { return }
        switch part {
        case .head(let head):
            exchange.responseStarted = true
            armTimer(exchange)
            // NIO's HTTP/2-to-HTTP/1 codec labels responses 1.1; `Via` must say what was spoken.
            let received = exchange.upstream?.isStream == true ? HTTPVersion.http2 : head.version
            var headers = ProxyHeaders.downstreamResponse(head.headers, requestId: exchange.requestId, receivedVersion: received)
            if !exchange.edgeFields.isEmpty {
                headers.applyEdgeFields(exchange.edgeFields, edgeOwnsCORS: exchange.route?.edgeRules.cors != nil)
            }
            addStrictTransportSecurity(&headers)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: exchange.version, status: head.status, headers: headers))), promise: nil)
        case .body(let buffer):
            armTimer(exchange)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if !context.channel.isWritable { exchange.upstream?.setReading(false) }
        case .end:
            exchange.finished = true
            state.timeouts.unwatch(exchange)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if let upstream = exchange.upstream {
                exchange.upstream = nil
                if exchange.requestEnded {
                    state.pool.release(upstream)
                } else {
                    upstream.close()  // the request body was not fully sent: the connection is mid-message
                }
            }
            setClientReading(true)
        }
    }

    func upstreamReadComplete() {
        context?.flush()
    }

    func upstreamFailed(_ error: any Error) {
        guard let exchange, !exchange.finished else { return }
        fail(
            exchange, .badGateway("the function's upstream failed before responding"),
            midResponse: "upstream failed mid-response: \(describe(error))",
            logReason: "the function's upstream failed before responding (\(describe(error)))")
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        setClientReading(isWritable)
    }

    // MARK: - Ending an exchange

    private func armTimer(_ exchange: Exchange) {
        guard let route = exchange.route else { return }
        exchange.deadline = .now() + .milliseconds(Int64(route.timeoutMs))
        exchange.handler = self
        state.timeouts.watch(exchange)
    }

    private func timedOut(_ exchange: Exchange) {
        guard !exchange.finished, let route = exchange.route else { return }
        fail(
            exchange, .gatewayTimeout("the function did not respond within \(route.timeoutMs) ms"),
            midResponse: "upstream stalled mid-response beyond \(route.timeoutMs) ms")
    }

    /// The upstream let the exchange down: answer with `problem` if the client has not seen a
    /// response yet; otherwise the only honest signal left is cutting the response short.
    private func fail(_ exchange: Exchange, _ problem: Problem, midResponse reason: String, logReason: String? = nil) {
        if exchange.responseStarted {
            log(exchange, status: problem.status, reason: reason)
            abandon(exchange)
            context?.close(promise: nil)
        } else {
            closeUpstream(exchange)
            respond(problem, to: exchange, logReason: logReason)
        }
    }

    private func closeUpstream(_ exchange: Exchange) {
        exchange.upstream?.close()
        exchange.upstream = nil
        exchange.pending = []
    }

    /// The client went away or the exchange cannot be completed: drop the upstream connection,
    /// which is mid-message and cannot be reused.
    private func abandon(_ exchange: Exchange) {
        exchange.finished = true
        state.timeouts.unwatch(exchange)
        closeUpstream(exchange)
    }

    /// Answers with `problem`; `logReason`, when given, is what the log says instead of the
    /// problem's detail (an upstream's errno, which the caller is not told).
    private func respond(
        _ problem: Problem, to exchange: Exchange, extraHeaders: [(String, String)] = [], logReason: String? = nil,
        closeAfter: Bool = false
    ) {
        guard let context, !exchange.responseStarted else { return }
        log(exchange, status: problem.status, reason: logReason ?? problem.detail ?? problem.title)
        // The CORS fields let a browser show the problem to the page that caused it.
        var extra = extraHeaders + exchange.edgeFields
        // Closing a connection mid-request body is the only way to stop an oversized upload on
        // HTTP/1.1; on HTTP/2 closing the stream channel resets just that stream.
        if closeAfter && !isHTTP2 { extra.append(("connection", "close")) }
        let (head, body) = EdgeResponse.problem(
            problem, requestId: exchange.requestId, version: exchange.version, extraHeaders: extra,
            allocator: context.channel.allocator)
        answer(head, body: body, exchange: exchange, closeAfter: closeAfter)
    }

    /// Ends `exchange` with a response the edge wrote itself.
    private func answer(_ head: HTTPResponseHead, body: ByteBuffer?, exchange: Exchange, closeAfter: Bool) {
        guard !exchange.responseStarted else { return }
        exchange.finished = true
        state.timeouts.unwatch(exchange)
        write(head, body: body, closeAfter: closeAfter || (!exchange.requestEnded && isHTTP2))
        setClientReading(true)
    }

    private func write(_ head: HTTPResponseHead, body: ByteBuffer?, closeAfter: Bool) {
        guard let context else { return }
        var head = head
        addStrictTransportSecurity(&head.headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        if closeAfter {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// HSTS for the host the request named, on TLS only (RFC 6797 §7.2), replacing the function's.
    private func addStrictTransportSecurity(_ headers: inout HTTPHeaders) {
        guard scheme == "https", let value = state.settings.hsts.value(forAuthority: exchange?.authority) else { return }
        headers.replaceOrAdd(name: "strict-transport-security", value: value)
    }

    private func setClientReading(_ enabled: Bool) {
        guard let context else { return }
        _ = try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: enabled)
        if enabled { context.read() }
    }

    /// One line per failed request; never headers or query strings, which may carry credentials.
    private func log(_ exchange: Exchange, status: Int, reason: String) {
        state.settings.logger.info(
            "edge request failed",
            metadata: [
                "request_id": "\(exchange.requestId)", "status": "\(status)", "method": "\(exchange.method.rawValue)",
                "path": "\(exchange.path.prefix(256))", "route": "\(exchange.route.map { "\($0.org)/\($0.name)" } ?? "-")",
                "reason": "\(reason)",
            ])
    }

    private func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            return error.connectionErrors.first.map { "\($0.error)" } ?? "connection failed"
        case UpstreamError.connectionClosed:
            return "connection closed"
        default:
            return String(describing: error).prefix(200).description
        }
    }
}
