package io.stunet.window;

/**
 * One sliding-window position: its rank in the plan's global order and the start corner of
 * the patch in padded network space, (z, y, x).
 */
public record Tile(int index, int z, int y, int x) {
}
