using System.Runtime.InteropServices;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// Matches a <see cref="Grammar"/> byte by byte as a pushdown automaton that is determinized lazily: a state is the
/// set of parse stacks alive after the bytes so far (llama.cpp's grammar stacks), interned as an integer, and each
/// (state, byte) transition is computed once and then read from a table. Walking a vocabulary trie is therefore one
/// table read per trie edge once the states a generation visits are known; the slow path (interning new stacks and
/// states) runs only the first time a transition is taken.
/// A stack is a linked list of interned frames (element position, parent frame); frame 0 is the empty stack, which
/// means the grammar may end here. State 0 is the dead state (no stack survives).
/// Not thread-safe: one per generation.
/// </summary>
internal sealed class GrammarAutomaton
{
    public const int Dead = 0;

    readonly Grammar _grammar;
    readonly int[] _rest;   // element → fewest producible bytes from it to the end of its alternative

    // Frames: (position, parent); frame 0 is the empty stack.
    readonly List<int> _framePosition = [-1], _frameParent = [-1], _frameDistance = [0];
    readonly Dictionary<long, int> _frameIds = [];

    // States: sorted sets of top frames; state 0 is the empty set.
    readonly List<int[]> _stateFrames = [[]];
    readonly List<int> _stateDistance = [Grammar.Infinite];
    readonly Dictionary<int[], int> _stateIds = new(new FramesComparer());
    int[] _transitions = new int[256 * 64];

    readonly List<int> _scratch = [];
    readonly HashSet<long> _expanded = [];

    /// <param name="producible">Whether one byte can be produced on its own (a single-byte token exists), so that
    /// distances count bytes the generation can actually emit one token at a time.</param>
    public GrammarAutomaton(Grammar grammar, Func<byte, bool> producible)
    {
        _grammar = grammar;
        _rest = grammar.MinimumLengths(set =>
        {
            for (int b = 0; b < 256; b++)
                if (grammar.Contains(set, (byte)b) && producible((byte)b)) return true;
            return false;
        }).FromElement;
        _stateIds[[]] = Dead;
        Array.Fill(_transitions, -1);
        _scratch.Clear();
        _expanded.Clear();
        foreach (int start in grammar.Alternatives[grammar.Root]) Expand(start, 0);
        Start = Intern();
    }

    public int Start { get; }

    /// <summary>The state after <paramref name="b"/>; <see cref="Dead"/> when the grammar does not allow it.</summary>
    public int Step(int state, byte b)
    {
        int slot = (state << 8) | b;
        int next = _transitions[slot];
        return next >= 0 ? next : ComputeStep(state, b);
    }

    /// <summary>Fewest bytes that complete the grammar from <paramref name="state"/>, counting only producible
    /// bytes; 0 when the grammar may end here; <see cref="Grammar.Infinite"/> when it cannot be completed.</summary>
    public int Distance(int state) => _stateDistance[state];

    public bool Accepts(int state) => _stateDistance[state] == 0;

    /// <summary>Whether some byte continues the grammar from <paramref name="state"/> (more than the end).</summary>
    public bool CanContinue(int state)
    {
        foreach (int frame in _stateFrames[state])
            if (frame != 0) return true;
        return false;
    }

    int ComputeStep(int state, byte b)
    {
        _scratch.Clear();
        _expanded.Clear();
        foreach (int frame in _stateFrames[state])
        {
            if (frame == 0) continue;
            int position = _framePosition[frame];
            if (_grammar.Contains(_grammar.Args[position], b)) Expand(position + 1, _frameParent[frame]);
        }
        int next = Intern();
        _transitions[(state << 8) | b] = next;
        return next;
    }

    /// <summary>Adds to the scratch set every stack with a byte set on top that continuing at
    /// <paramref name="position"/> (under <paramref name="parent"/>) leads to.</summary>
    void Expand(int position, int parent)
    {
        if (!_expanded.Add(((long)position << 32) | (uint)parent)) return;
        switch (_grammar.Kinds[position])
        {
            case Grammar.Kind.Bytes:
                _scratch.Add(Frame(position, parent));
                break;
            case Grammar.Kind.End:
                if (parent == 0) _scratch.Add(0);
                else Expand(_framePosition[parent], _frameParent[parent]);
                break;
            case Grammar.Kind.Rule:
                // A reference that ends its alternative needs no return frame: x* runs as a loop, not a deeper stack.
                int returnTo = _grammar.Kinds[position + 1] == Grammar.Kind.End ? parent : Frame(position + 1, parent);
                foreach (int start in _grammar.Alternatives[_grammar.Args[position]]) Expand(start, returnTo);
                break;
        }
    }

    int Frame(int position, int parent)
    {
        long key = ((long)position << 32) | (uint)parent;
        if (_frameIds.TryGetValue(key, out int id)) return id;
        id = _framePosition.Count;
        _framePosition.Add(position);
        _frameParent.Add(parent);
        _frameDistance.Add(Math.Min(Grammar.Infinite, _rest[position] + _frameDistance[parent]));
        _frameIds[key] = id;
        return id;
    }

    int Intern()
    {
        var frames = CollectionsMarshal.AsSpan(_scratch);
        frames.Sort();
        int count = 0;
        for (int i = 0; i < frames.Length; i++)
            if (count == 0 || frames[i] != frames[count - 1]) frames[count++] = frames[i];
        // Stacks that can never complete are dropped: the automaton then never enters a state it cannot leave.
        int kept = 0;
        for (int i = 0; i < count; i++)
            if (_frameDistance[frames[i]] < Grammar.Infinite) frames[kept++] = frames[i];
        var key = frames[..kept].ToArray();
        if (_stateIds.TryGetValue(key, out int id)) return id;
        id = _stateFrames.Count;
        _stateFrames.Add(key);
        int distance = Grammar.Infinite;
        foreach (int frame in key) distance = Math.Min(distance, _frameDistance[frame]);
        _stateDistance.Add(distance);
        _stateIds[key] = id;
        if (_transitions.Length < (id + 1) * 256)
        {
            int old = _transitions.Length;
            Array.Resize(ref _transitions, Math.Max(old * 2, (id + 1) * 256));
            Array.Fill(_transitions, -1, old, _transitions.Length - old);
        }
        return id;
    }

    sealed class FramesComparer : IEqualityComparer<int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] frames)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(frames.AsSpan()));
            return hash.ToHashCode();
        }
    }
}
