import GatehouseModel
import Testing

@Suite struct ResourceNameTests {
    @Test(arguments: ["a", "acme", "a-b", "a1", "0", String(repeating: "a", count: 63)])
    func acceptsDNSLabels(_ name: String) {
        #expect(ResourceName.isValid(name))
    }

    @Test(arguments: ["", "Acme", "-a", "a-", "a_b", "a.b", "é", String(repeating: "a", count: 64), "a b"])
    func refusesEverythingElse(_ name: String) {
        #expect(!ResourceName.isValid(name))
        #expect(throws: Problem.self) { try ResourceName.validate(name) }
    }

    @Test func problemNamesTheFieldAndRule() {
        do {
            try ResourceName.validate("Bad", field: "function")
            Issue.record("expected a problem")
        } catch {
            #expect(error.status == 400)
            #expect(error.field == "function")
            #expect(error.detail?.contains("lowercase DNS label") == true)
        }
    }

    @Test func reservedOrgNamesAreRefused() {
        #expect(throws: Problem.self) { try Org(name: "healthz").validate() }
        #expect(throws: Never.self) { try Org(name: "acme").validate() }
    }
}
