@testable import Cluster
import Testing

/// The pure core of the list/watch engine: lists and watch batches in, the changes a consumer
/// must apply out.
@Suite struct CollectionViewTests {
    @Test("the first list hands on every usable object; unusable ones (nil) are absent")
    func firstList() {
        var view = CollectionView<Int>()
        let changes = view.replace(with: [("b", 2), ("a", 1), ("c", nil)])
        #expect(changes == [ObjectChange(key: "a", value: 1), ObjectChange(key: "b", value: 2)])
        #expect(view.objects == ["a": 1, "b": 2])
    }

    @Test("a relist hands on only the difference: changed, new, and removed objects (also those that became unusable)")
    func relistDifference() {
        var view = CollectionView<Int>()
        _ = view.replace(with: [("a", 1), ("b", 2), ("c", 3), ("d", 4)])
        let changes = view.replace(with: [("a", 1), ("b", 20), ("d", nil), ("e", 5)])
        #expect(changes == [ObjectChange(key: "b", value: 20), ObjectChange(key: "c", value: nil),
                            ObjectChange(key: "d", value: nil), ObjectChange(key: "e", value: 5)])
    }

    @Test("a batch that changes nothing visible (a heartbeat) hands on nothing; a key changed twice is handed on once, with its last value")
    func batches() {
        var view = CollectionView<Int>()
        _ = view.replace(with: [("a", 1)])
        #expect(view.apply([("a", 1)]).isEmpty)
        #expect(view.apply([("b", 2), ("a", 5), ("b", 3)]) == [ObjectChange(key: "b", value: 3), ObjectChange(key: "a", value: 5)])
        #expect(view.apply([("a", nil), ("zz", nil)]) == [ObjectChange(key: "a", value: nil)])
        #expect(view.objects == ["b": 3])
    }
}
