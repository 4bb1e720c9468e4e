from agent.memory import MemoryStore


def test_memories_persist_per_user_and_can_be_forgotten(tmp_path):
    path = tmp_path / "memory.sqlite"
    s = MemoryStore(path)
    s.add("ana", "cups go on the tray, not in the bin")
    s.add("ana", "cans belong in the basket")
    s.add("ana", "cans belong in the basket")  # the same preference twice is kept once
    s.add("ben", "forks go left of the plate")
    s.close()

    s = MemoryStore(path)  # a new process sees them
    assert [m.text for m in s.list("ana")] == ["cups go on the tray, not in the bin", "cans belong in the basket"]
    assert [m.text for m in s.list("ben")] == ["forks go left of the plate"]
    assert s.forget("ana", "cans") == [], "a fragment forgets nothing"
    assert [m.text for m in s.matching("ana", "cans")] == ["cans belong in the basket"]
    gone = s.forget("ana", "Cans  belong in the basket")
    assert [m.text for m in gone] == ["cans belong in the basket"]
    assert [m.text for m in s.list("ana")] == ["cups go on the tray, not in the bin"]
    first = s.list("ana")[0]
    assert s.forget("ana", str(first.id)) == [first]
    assert s.list("ana") == []
    assert s.forget("ana", "nothing like this") == []
    assert len(s.list("ben")) == 1
