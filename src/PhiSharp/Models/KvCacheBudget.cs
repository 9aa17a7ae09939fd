namespace PhiSharp.Models;

/// <summary>
/// Checks KV caches against the model's context and the memory available before any is allocated. Without it a
/// context beyond the model's overflows the cache's arrays, and more caches than memory holds grow until an
/// OutOfMemoryException half-way through. `phi run` and `chat` check one cache of --ctx tokens; `phi serve` checks
/// --parallel caches of --ctx tokens each.
/// </summary>
public static class KvCacheBudget
{
    /// <summary>Throws unless <paramref name="sequences"/> caches of <paramref name="contextLength"/> tokens each fit
    /// the model's context and the memory available.</summary>
    /// <param name="contextName">How messages name the context length: the CLI passes its option, "--ctx".</param>
    /// <param name="sequencesName">How messages name the number of caches: "--parallel".</param>
    /// <param name="availableBytes">The memory the caches may take; null measures it (<see cref="AvailableBytes"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, the context is longer than the model's, or
    /// the caches need more memory than is available; the message gives the figures.</exception>
    public static void Check(ModelInfo model, int contextLength, int sequences = 1, string contextName = "contextLength",
        string sequencesName = "sequences", long? availableBytes = null)
    {
        if (contextLength < 1)
            throw new ArgumentOutOfRangeException(contextName, contextLength, $"{contextName} {contextLength} holds no token; it must be at least 1.");
        if (contextLength > model.ContextLength)
            throw new ArgumentOutOfRangeException(contextName, contextLength,
                $"{contextName} {contextLength} is more than this model's context of {model.ContextLength} tokens.");
        if (sequences < 1)
            throw new ArgumentOutOfRangeException(sequencesName, sequences, $"{sequencesName} {sequences}: it must be at least 1.");

        // In double: sequences × context × bytes per token can pass long's range (2^31 × 2^31 × 2^19).
        double needed = (double)sequences * contextLength * model.KvCacheBytesPerToken;
        long available = availableBytes ?? AvailableBytes();
        if (needed <= available) return;
        string request = sequences == 1 ? $"{contextName} {contextLength}" : $"{sequencesName} {sequences} × {contextName} {contextLength}";
        throw new ArgumentOutOfRangeException(sequences == 1 ? contextName : sequencesName, sequences == 1 ? contextLength : sequences,
            $"{request} needs {Size(needed)} of KV cache ({model.KvCache.ToString().ToLowerInvariant()}); {Size(available)} is available.");
    }

    /// <summary>Memory new allocations can take now: on Linux /proc/meminfo's MemAvailable (free memory and reclaimable
    /// cache), elsewhere the GC's view of the machine's free memory; either capped by the memory the process may still
    /// use (a container's limit or GCHeapHardLimit).</summary>
    public static long AvailableBytes()
    {
        var gc = GC.GetGCMemoryInfo();
        long processRoom = Math.Max(0, gc.TotalAvailableMemoryBytes - Environment.WorkingSet);
        long machineFree = MemAvailable() ?? Math.Max(0, gc.TotalAvailableMemoryBytes - gc.MemoryLoadBytes);
        return Math.Min(machineFree, processRoom);
    }

    static long? MemAvailable()
    {
        const string meminfo = "/proc/meminfo";
        if (!File.Exists(meminfo)) return null;
        foreach (var line in File.ReadLines(meminfo))
        {
            // "MemAvailable:   22612345 kB"
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 3 && long.TryParse(parts[1], out long kilobytes) ? kilobytes * 1024 : null;
        }
        return null;
    }

    static string Size(double bytes) => bytes >= 1L << 30 ? $"{bytes / (1L << 30):F1} GiB" : $"{bytes / (1L << 20):F1} MiB";
}
