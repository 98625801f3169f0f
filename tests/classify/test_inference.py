import numpy as np
import pytest

from nlp.classify.inference import KeyTable, counted_lines


@pytest.mark.parametrize("key_space", [10**6, 10**12])  # a dense array, and sorted keys searched
@pytest.mark.parametrize("largest", [7, 40_000])  # columns in int16, and beyond it
def test_key_table_looks_up_every_key_and_nothing_else(key_space, largest):
    keys = np.array([3, 999_999, 17, 0])
    values = np.array([largest, 0, 5, 1])
    table = KeyTable.of(keys, values, key_space)
    assert (table.dense is not None) == (key_space <= 2**22)
    queries = np.array([17, 3, 4, 0, 999_999, 999_998, 3])
    assert table.look_up(queries).tolist() == [5, largest, -1, 1, 0, -1, largest]
    empty = KeyTable.of(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), key_space)
    assert empty.look_up(queries).tolist() == [-1] * len(queries)


def test_counted_lines_keep_the_first_appearance_order():
    assert list(counted_lines("")) == [("", 1)]
    assert list(counted_lines("乙\n甲\n乙\n乙\n")) == [("乙", 3), ("甲", 1), ("", 1)]
