namespace PhiSharp.Generation;

/// <summary>
/// Finds stop strings in streamed text. Text is released only once it can no longer be the start of a stop
/// string, so a caller never shows a stop string's first half and then has to take it back.
/// </summary>
public sealed class StopStrings
{
    readonly string[] _stops;
    readonly System.Text.StringBuilder _pending = new();

    public StopStrings(IEnumerable<string> stops)
    {
        _stops = stops.Where(s => s.Length > 0).Distinct().ToArray();
    }

    /// <summary>True once a stop string has been seen; later text is ignored.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds decoded text; returns what may be shown now (text before any stop string).</summary>
    public string Push(string text)
    {
        if (Stopped || text.Length == 0) return "";
        _pending.Append(text);
        string buffer = _pending.ToString();

        int stopAt = -1;
        foreach (var stop in _stops)
        {
            int i = buffer.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && (stopAt < 0 || i < stopAt)) stopAt = i;
        }
        if (stopAt >= 0)
        {
            Stopped = true;
            _pending.Clear();
            return buffer[..stopAt];
        }

        int keep = LongestSuffixThatStartsAStop(buffer);
        _pending.Clear().Append(buffer, buffer.Length - keep, keep);
        return buffer[..^keep];
    }

    /// <summary>What was held back, released at the end of generation (no stop string can complete now).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending.ToString();
        _pending.Clear();
        return rest;
    }

    int LongestSuffixThatStartsAStop(string buffer)
    {
        int best = 0;
        foreach (var stop in _stops)
            for (int n = Math.Min(stop.Length - 1, buffer.Length); n > best; n--)
                if (buffer.AsSpan(buffer.Length - n).SequenceEqual(stop.AsSpan(0, n))) { best = n; break; }
        return best;
    }
}
