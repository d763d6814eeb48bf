package io.stunet.tiling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CellLayoutTest {
    /** Every (voxel, class) has its own slot, the slots fill the cell exactly, and whole groups are contiguous. */
    @Test
    void indexIsABijectionOntoTheCellAndWholeGroupsAreContiguous() {
        for (int classes : new int[] {1, 3, 105}) {
            for (int width : new int[] {1, 7, 8, 12, 58, 64, 67}) {
                boolean[] seen = new boolean[classes * width];
                for (int x = 0; x < width; x++) {
                    for (int c = 0; c < classes; c++) {
                        int i = CellLayout.index(width, classes, x, c);
                        assertFalse(seen[i], "slot " + i + " twice, width " + width);
                        seen[i] = true;
                    }
                }
                for (int x = 0; x + CellLayout.GROUP <= width; x += CellLayout.GROUP) {
                    assertTrue(CellLayout.wholeGroup(width, x));
                    int first = CellLayout.index(width, classes, x, 0);
                    for (int c = 0; c < classes; c++) {
                        for (int lane = 0; lane < CellLayout.GROUP; lane++) {
                            assertEquals(first + c * CellLayout.GROUP + lane, CellLayout.index(width, classes, x + lane, c));
                        }
                    }
                }
                assertFalse(CellLayout.wholeGroup(width, width & -CellLayout.GROUP));
                assertFalse(width > CellLayout.GROUP && CellLayout.wholeGroup(width, 1));
            }
        }
    }
}
