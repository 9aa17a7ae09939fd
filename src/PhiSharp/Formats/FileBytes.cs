using System.IO.MemoryMappedFiles;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PhiSharp.Tensors;

namespace PhiSharp.Formats;

/// <summary>All bytes of one file at a stable address: a read-only memory mapping, or a native buffer the file was
/// read into. Tensor views point straight into it, so it must outlive them.</summary>
internal sealed unsafe class FileBytes : IDisposable
{
    private const int ReadChunk = 64 << 20, HugePage = 2 << 20;

    /// <summary>How far ahead of what a parser asks for <see cref="EnsureReadThrough"/> reads: a header is parsed a
    /// few bytes at a time.</summary>
    private const int HeaderReadAhead = 256 << 10;

    private MemoryMappedFile? _mapping;
    private MemoryMappedViewAccessor? _view;
    private bool _ownsNativeMemory;
    private SafeFileHandle? _file; // while bytes may still be read: a buffer being filled, rows read on demand
    private long _readThrough; // bytes [0, _readThrough) of a buffer are read
    private IProgress<LoadProgress>? _progress;

    public string Path { get; }
    public byte* Pointer { get; private set; }
    public long Length { get; }

    private FileBytes(string path, long length)
    {
        Path = path;
        Length = length;
    }

    /// <summary>Opens a file whose bytes are all present when this returns.</summary>
    public static FileBytes Open(string path, TensorFileOptions? options)
    {
        var bytes = OpenForParsing(path, options);
        try
        {
            bytes.ReadRest([]);
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
        return bytes;
    }

    /// <summary>Opens a file for a parser that reads its header through <see cref="EnsureReadThrough"/>, then calls
    /// <see cref="ReadRest"/>, which may leave tensors to be read on demand. A mapped file is all there at once.</summary>
    public static FileBytes OpenForParsing(string path, TensorFileOptions? options)
    {
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        FileBytes? bytes = null;
        try
        {
            bytes = new FileBytes(path, RandomAccess.GetLength(file));
            if (bytes.Length > 0 && options is { UseMemoryMap: false })
            {
                bytes.Allocate();
                bytes._file = file;
                bytes._progress = options.Progress;
                return bytes;
            }
            if (bytes.Length > 0) bytes.Map(file); // an empty file has nothing to map; parsers report it as truncated
            file.Dispose();
            return bytes;
        }
        catch
        {
            bytes?.Dispose();
            file.Dispose();
            throw;
        }
    }

    public ReadOnlySpan<byte> Span(long offset, int length) => new(Pointer + offset, length);

    /// <summary>True when the bytes were read into a buffer of our own (not a read-only mapping), which may be rewritten.</summary>
    public bool IsWritable => _ownsNativeMemory;

    private void Map(SafeFileHandle file)
    {
        _mapping = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None,
            leaveOpen: true);
        _view = _mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + _view.PointerOffset;
    }

    private void Allocate()
    {
        // 2 MiB-aligned and marked for transparent huge pages on Linux: streaming gigabytes of weights through 4 KiB
        // pages costs a TLB miss per page, which is expensive under virtualisation (docs/PERFORMANCE.md: generation 5.0 →
        // 5.4 tok/s with the hint, one quiet-machine run). Pages are only taken as they are written.
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Length, HugePage);
        _ownsNativeMemory = true;
        if (OperatingSystem.IsLinux()) HugePages.Advise(Pointer, Length);
    }

    /// <summary>Makes bytes [0, <paramref name="end"/>) present, for a parser reading a header (nothing for a mapped
    /// file). <paramref name="end"/> must not pass the end of the file.</summary>
    public void EnsureReadThrough(long end)
    {
        if (_file is null || end <= _readThrough) return;
        long through = Math.Min(Length, Math.Max(end, _readThrough + HeaderReadAhead));
        RowsOnDemand.ReadExactly(_file, Path, Pointer + _readThrough, _readThrough, through - _readThrough);
        _readThrough = through;
    }

    /// <summary>
    /// Reads what the parser has not, but for the <paramref name="onDemand"/> byte ranges, which stay unread for
    /// <see cref="RowsOnDemand"/> (given the file, which stays open): their pages are never touched, and not huge
    /// pages, so that a row read into them takes 4 KiB, not 2 MiB. Nothing for a mapped file.
    /// </summary>
    public void ReadRest(IReadOnlyList<(long Offset, long Length)> onDemand)
    {
        if (_file is null) return;
        var pieces = new List<(long Start, long End)>();
        long at = _readThrough, total = Length;
        foreach (var (offset, length) in onDemand.OrderBy(r => r.Offset))
        {
            long start = Math.Max(offset, at), end = offset + length;
            if (start >= end) continue;
            Split(at, start, pieces);
            total -= end - start;
            at = end;
            if (OperatingSystem.IsLinux()) HugePages.Decline(Pointer + start, end - start);
        }
        Split(at, Length, pieces);
        ReadPieces(pieces, total);
        if (onDemand.Count == 0)
        {
            _file.Dispose();
            _file = null;
        }
        _readThrough = Length;
    }

    /// <summary>The file for <see cref="RowsOnDemand"/>: open until this is disposed.</summary>
    public SafeFileHandle OpenFile => _file ?? throw new InvalidOperationException($"{Path} is not being read");

    static void Split(long start, long end, List<(long, long)> pieces)
    {
        for (long s = start; s < end; s += ReadChunk) pieces.Add((s, Math.Min(end, s + ReadChunk)));
    }

    private void ReadPieces(List<(long Start, long End)> pieces, long total)
    {
        // Pieces in parallel: much of a read's time is the kernel providing fresh zeroed pages, which scales with cores.
        string name = System.IO.Path.GetFileName(Path);
        long bytesRead = _readThrough; // over all pieces, for progress
        var file = _file!;
        nint start = (nint)Pointer;
        _progress?.Report(new LoadProgress(name, 0, total));
        if (pieces.Count == 0) // all read with the header
        {
            _progress?.Report(new LoadProgress(name, total, total));
            return;
        }
        try
        {
            Parallel.For(0, pieces.Count, i =>
            {
                var (from, to) = pieces[i];
                RowsOnDemand.ReadExactly(file, Path, (byte*)start + from, from, to - from);
                _progress?.Report(new LoadProgress(name, Interlocked.Add(ref bytesRead, to - from), total));
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
        _file?.Dispose();
        _file = null;
        Pointer = null;
    }
}

/// <summary>madvise(MADV_HUGEPAGE / MADV_NOHUGEPAGE) through the C library every Linux process already has; hints,
/// failures ignored.</summary>
internal static unsafe partial class HugePages
{
    const int MadviseHugePage = 14, MadviseNoHugePage = 15;

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    public static void Advise(void* address, long length) => Try(address, length, MadviseHugePage);

    /// <summary>Small pages for the whole pages inside the range (madvise needs a page-aligned start).</summary>
    public static void Decline(byte* address, long length)
    {
        long page = Environment.SystemPageSize;
        long start = ((long)address + page - 1) / page * page, end = ((long)address + length) / page * page;
        if (end > start) Try((void*)start, end - start, MadviseNoHugePage);
    }

    static void Try(void* address, long length, int advice)
    {
        try { Madvise(address, (nuint)length, advice); }
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
