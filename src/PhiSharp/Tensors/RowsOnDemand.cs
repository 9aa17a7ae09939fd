using Microsoft.Win32.SafeHandles;

namespace PhiSharp.Tensors;

/// <summary>
/// A tensor whose rows are read from its file the first time each is asked for, into the place in memory where the
/// whole tensor would have been read. For a table that a model reads one row at a time (the token embeddings: 55 MB
/// of Phi-3-mini's Q4_0 file, of which a decode step reads one 1.7 KB row), so that the rows no token has used never
/// take memory: with the rest of a file read into memory, this is what keeps peak memory below an engine's that reads
/// the whole file (docs/PERFORMANCE.md). <see cref="WeightTensor.Data"/> reads every row first, so nothing that
/// treats the tensor as a whole (a matmul, a copy into another file) can see bytes that were never read.
/// </summary>
internal sealed unsafe class RowsOnDemand
{
    readonly SafeFileHandle _file;
    readonly string _path;
    readonly long _fileOffset;
    readonly byte* _destination;
    readonly long _rowBytes;
    readonly int _rows;
    readonly long[] _rowRead; // bit r of word r / 64: row r is in memory; set only after its bytes are
    readonly Lock _readingAll = new();
    volatile bool _allRead;

    /// <param name="file">Open for as long as the tensor is used.</param>
    /// <param name="fileOffset">Where row 0 starts in the file; the rows follow each other, <paramref name="rowBytes"/> apart.</param>
    /// <param name="destination">Where row 0 goes in memory, with room for all the rows.</param>
    public RowsOnDemand(SafeFileHandle file, string path, long fileOffset, byte* destination, long rowBytes, int rows)
    {
        _file = file;
        _path = path;
        _fileOffset = fileOffset;
        _destination = destination;
        _rowBytes = rowBytes;
        _rows = rows;
        _rowRead = new long[(rows + 63) / 64];
    }

    /// <summary>Makes row <paramref name="row"/> present. Threads may race to read the same row: they write the same
    /// bytes, and a row is marked present only after it is, so no reader sees it half read.</summary>
    public void EnsureRow(int row)
    {
        if (_allRead) return;
        ref long word = ref _rowRead[row >> 6];
        long bit = 1L << (row & 63);
        if ((Volatile.Read(ref word) & bit) != 0) return;
        ReadExactly(_file, _path, _destination + row * _rowBytes, _fileOffset + row * _rowBytes, _rowBytes);
        Interlocked.Or(ref word, bit);
    }

    /// <summary>Makes every row present (once; rows already read are read again, as the same bytes).</summary>
    public void EnsureAll()
    {
        if (_allRead) return;
        lock (_readingAll)
        {
            if (_allRead) return;
            ReadExactly(_file, _path, _destination, _fileOffset, _rows * _rowBytes);
            _allRead = true;
        }
    }

    /// <summary>Reads <paramref name="length"/> bytes at <paramref name="offset"/> of the file, all of them: a file
    /// that ends before them (it shrank after it was opened) is a <see cref="ModelFormatException"/>.</summary>
    public static void ReadExactly(SafeFileHandle file, string path, byte* destination, long offset, long length)
    {
        for (long done = 0; done < length;)
        {
            int read = RandomAccess.Read(file, new Span<byte>(destination + done, (int)Math.Min(length - done, 1 << 30)), offset + done);
            if (read == 0)
                throw new ModelFormatException(path, $"file shrank while being read (it ends before byte {offset + length})");
            done += read;
        }
    }
}
