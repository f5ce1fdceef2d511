package dev.weir.stage;

import java.util.Arrays;

/**
 * The slots of one parse thread waiting idle for their next request, oldest first, each with the time it fell
 * idle: a doubly linked list over slot indices in preallocated arrays, so adding, removing and taking the oldest
 * are O(1) and allocate nothing. Slots are added as they start waiting and every keep-alive wait is equally
 * long, so the order of entry is the order of their deadlines too.
 * <pre>
 *   head (idle longest) -&gt; s7 &lt;-&gt; s2 &lt;-&gt; s5 &lt;- tail (idle since last)      linked by next[], prev[]
 * </pre>
 * <p>
 * <b>Note:</b> single owner thread; not thread-safe.
 */
final class IdleList {

    /** No slot: the end of the list, or an empty one. */
    static final int NONE = -1;
    /** {@link #prev} of a slot not in the list (a slot in it has {@link #NONE} or an index there). */
    private static final int OUT = -2;

    private final int[] next;
    private final int[] prev;
    private final long[] sinceNs;
    private int head = NONE;
    private int tail = NONE;
    private int size;

    /** @param capacity slot indices 0 to {@code capacity - 1}. */
    IdleList(final int capacity) {
        this.next = new int[capacity];
        this.prev = new int[capacity];
        this.sinceNs = new long[capacity];
        Arrays.fill(prev, OUT);
    }

    /**
     * Add a slot as the newest idle one; a slot already in the list moves to the end.
     *
     * @param slot    the slot index.
     * @param sinceNs when it fell idle, not before the slots already in the list.
     */
    void add(final int slot, final long sinceNs) {
        remove(slot);
        this.sinceNs[slot] = sinceNs;
        next[slot] = NONE;
        prev[slot] = tail;
        if (tail == NONE) {
            head = slot;
        } else {
            next[tail] = slot;
        }
        tail = slot;
        size++;
    }

    /**
     * Remove a slot if it is in the list.
     *
     * @param slot the slot index.
     */
    void remove(final int slot) {
        final int p = prev[slot];
        if (p == OUT) {
            return;
        }
        final int n = next[slot];
        if (p == NONE) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            tail = p;
        } else {
            prev[n] = p;
        }
        prev[slot] = OUT;
        size--;
    }

    /**
     * @param slot the slot index.
     * @return {@code true} when it is in the list.
     */
    boolean contains(final int slot) {
        return prev[slot] != OUT;
    }

    /** @return the slot idle longest, or {@link #NONE} when the list is empty. */
    int oldest() {
        return head;
    }

    /** @return when the slot idle longest fell idle; only while the list is not empty. */
    long oldestSinceNs() {
        return sinceNs[head];
    }

    /** @return slots in the list. */
    int size() {
        return size;
    }
}
