namespace PhiSharp.Formats;

/// <summary>How a GGUF or safetensors file is brought into memory.</summary>
public sealed class TensorFileOptions
{
    public static readonly TensorFileOptions Default = new();

    /// <summary>True (the default): map the file, so tensors are paged in from the OS cache and cost no copy.
    /// False (<c>--no-mmap</c>): read the whole file into native memory once, so a page cache under pressure
    /// cannot evict weights and make decoding re-read the disk; but for a GGUF's token-embedding table beside an output
    /// matrix, whose rows are read as tokens first ask for them (<see cref="PhiSharp.Tensors.RowsOnDemand"/>).</summary>
    public bool UseMemoryMap { get; init; } = true;

    /// <summary>Told how much of a file has been read into memory (not when it is mapped: that costs no time). Reports
    /// come from the reading threads, in no fixed order; the largest is the total.</summary>
    public IProgress<LoadProgress>? Progress { get; init; }

    /// <summary>The choice <see cref="PhiSharp.LoadOptions.UseMemoryMap"/> = null stands for: read a file into memory
    /// when it takes at most half of the memory the runtime may use, else map it.</summary>
    public static bool MapByDefault(long fileBytes) => fileBytes > GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
}
