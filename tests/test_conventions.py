from kneesight import conventions as c


def test_kinematics_columns_follow_the_contract():
    cols = c.KINEMATICS_COLUMNS
    assert cols[:4] == ("frame", "time_s", "tracked", "confidence")
    assert "hip_internal_rotation_r" in cols and "arch_height_mm_l" in cols
    assert "kjc_r_x" in cols and "ajc_l_z" in cols
    assert len(cols) == len(set(cols)) == 4 + 2 * (9 + 9)
    # the ground truth table has the same per-side columns
    assert set(c.GROUND_TRUTH_COLUMNS) <= set(cols)
