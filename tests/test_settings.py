from alliance.settings import Settings


def test_hashing_slots_share_the_cores_among_server_processes(tmp_path):
    assert Settings(home=tmp_path, hash_jobs=4, workers=2).hashing_slots == 2
    assert Settings(home=tmp_path, hash_jobs=2, workers=4).hashing_slots == 1  # never none
    assert Settings(home=tmp_path, hash_jobs=4, workers=2, max_concurrent_hashing=3).hashing_slots == 3
