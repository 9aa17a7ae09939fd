using System.IO.MemoryMappedFiles;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace PhiSharp.Formats;

/// <summary>All bytes of one file at a stable address: a read-only memory mapping, or a native buffer the file was
/// read into. Tensor views point straight into it, so it must outlive them.</summary>
internal sealed unsafe class FileBytes : IDisposable
{
    private const int ReadChunk = 64 << 20;

    private MemoryMappedFile? _mapping;
    private MemoryMappedViewAccessor? _view;
    private bool _ownsNativeMemory;

    public string Path { get; }
    public byte* Pointer { get; private set; }
    public long Length { get; }

    private FileBytes(string path, long length)
    {
        Path = path;
        Length = length;
    }

    public static FileBytes Open(string path, TensorFileOptions? options)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        var bytes = new FileBytes(path, stream.Length);
        if (bytes.Length == 0) return bytes; // nothing to map; parsers report the file as truncated
        try
        {
            if (options?.UseMemoryMap ?? true) bytes.Map(stream);
            else bytes.ReadAll(stream, options.Progress);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
        return bytes;
    }

    public ReadOnlySpan<byte> Span(long offset, int length) => new(Pointer + offset, length);

    /// <summary>True when the bytes were read into a buffer of our own (not a read-only mapping), which may be rewritten.</summary>
    public bool IsWritable => _ownsNativeMemory;

    private void Map(FileStream stream)
    {
        _mapping = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read,
            HandleInheritability.None, leaveOpen: true);
        _view = _mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + _view.PointerOffset;
    }

    private void ReadAll(FileStream stream, IProgress<LoadProgress>? progress)
    {
        // 2 MiB-aligned and marked for transparent huge pages on Linux: streaming gigabytes of weights through 4 KiB
        // pages costs a TLB miss per page, which is expensive under virtualisation (docs/PERFORMANCE.md: generation 5.0 →
        // 5.4 tok/s with the hint, one quiet-machine run).
        const int HugePage = 2 << 20;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Length, HugePage);
        _ownsNativeMemory = true;
        if (OperatingSystem.IsLinux()) HugePages.Advise(Pointer, Length);
        // Chunks in parallel: much of a read's time is the kernel providing fresh zeroed pages, which scales with cores.
        var handle = stream.SafeFileHandle;
        nint start = (nint)Pointer;
        string name = System.IO.Path.GetFileName(Path);
        long bytesRead = 0; // over all chunks, for progress
        progress?.Report(new LoadProgress(name, 0, Length));
        try
        {
            Parallel.For(0, (int)((Length + ReadChunk - 1) / ReadChunk), chunk =>
            {
                long end = Math.Min(Length, (chunk + 1L) * ReadChunk);
                for (long done = chunk * (long)ReadChunk; done < end;)
                {
                    int read = RandomAccess.Read(handle, new Span<byte>((byte*)start + done, (int)(end - done)), done);
                    if (read == 0) throw new ModelFormatException(Path, $"file shrank while being read ({done} of {Length} bytes)");
                    done += read;
                }
                progress?.Report(new LoadProgress(name, Interlocked.Add(ref bytesRead, end - chunk * (long)ReadChunk), Length));
            });
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]); // the I/O or format error itself, as a sequential read gives it
        }
    }

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _mapping!.Dispose();
            _view = null;
            _mapping = null;
        }
        if (_ownsNativeMemory)
        {
            NativeMemory.AlignedFree(Pointer);
            _ownsNativeMemory = false;
        }
        Pointer = null;
    }
}

/// <summary>madvise(MADV_HUGEPAGE) through the C library every Linux process already has; a hint, failures ignored.</summary>
internal static unsafe partial class HugePages
{
    const int MadviseHugePage = 14;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    public static void Advise(void* address, long length)
    {
        try { Madvise(address, (nuint)length, MadviseHugePage); }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }
}

/// <summary>madvise(MADV_DONTNEED) on a read-only file mapping: the pages leave this process's resident set (they stay
/// in the OS page cache and fault back in if read again). Only for memory-mapped files: on anonymous memory the same
/// call would zero the data. A hint, failures ignored.</summary>
internal static unsafe partial class MappedPages
{
    const int MadviseDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    public static void Release(byte* address, long length)
    {
        long page = Environment.SystemPageSize;
        long start = (long)address / page * page; // madvise needs a page-aligned start; a neighbour's page just re-faults
        try { Madvise((void*)start, (nuint)((long)address + length - start), MadviseDontNeed); }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }
}
