using System.Runtime.InteropServices;
using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Kernels;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Formats;

/// <summary>
/// A GGUF read into memory leaves its token-embedding table unread when the model has a separate output matrix: a
/// row is read from the file the first time it is asked for, so the rows no token uses never take memory. The table
/// here (4 MB of F32, rows of 256) lies past what reading the header takes along. Whether a row was read at load or
/// when asked shows by changing it in the file in between.
/// </summary>
public sealed unsafe class GgufRowsOnDemandTests : IDisposable
{
    const int Columns = 256, Rows = 4096;
    static readonly long RowBytes = Columns * sizeof(float);

    readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    static float Value(int row, int column) => row + column / 1000f;

    string WriteModel(bool withOutputMatrix)
    {
        string path = _temp.File("table.gguf");
        var table = new float[Rows * Columns];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++) table[r * Columns + c] = Value(r, c);
        var output = new float[8 * Columns];
        using var writer = new GgufWriter(path);
        writer.AddMetadata("general.architecture", "phi3");
        writer.AddTensor("token_embd.weight", GgmlType.F32, [Columns, Rows]);
        if (withOutputMatrix) writer.AddTensor("output.weight", GgmlType.F32, [Columns, 8]);
        writer.WriteTensorData("token_embd.weight", MemoryMarshal.AsBytes(table.AsSpan()));
        if (withOutputMatrix) writer.WriteTensorData("output.weight", MemoryMarshal.AsBytes(output.AsSpan()));
        writer.Finish();
        return path;
    }

    /// <summary>Overwrites row <paramref name="row"/> of the table in the file with −1s.</summary>
    static void RewriteRow(GgufFile file, string path, int row)
    {
        Assert.True(file.TryGetTensorInfo("token_embd.weight", out var info));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Position = file.DataOffset + info.Offset + row * RowBytes;
        for (int c = 0; c < Columns; c++) stream.Write(BitConverter.GetBytes(-1f));
    }

    static float[] RowOf(in WeightTensor table, int row) => WeightRows.AsFloat(table, row, new float[Columns]).ToArray();

    static float[] Expected(int row) => Enumerable.Range(0, Columns).Select(c => Value(row, c)).ToArray();

    [Fact]
    public void Rows_of_a_table_beside_an_output_matrix_are_read_when_first_asked_for()
    {
        string path = WriteModel(withOutputMatrix: true);
        using var file = GgufFile.Open(path, new TensorFileOptions { UseMemoryMap = false });
        var table = file.GetTensor("token_embd.weight");
        Assert.Equal(Expected(100), RowOf(table, 100));

        RewriteRow(file, path, 100);
        RewriteRow(file, path, 4000);

        Assert.Equal(Expected(100), RowOf(table, 100)); // read before the change: kept
        Assert.All(RowOf(table, 4000), v => Assert.Equal(-1f, v)); // first asked for after it: read now
        Assert.Equal(Expected(4095), RowOf(table, 4095));
    }

    [Fact]
    public void Reading_the_table_as_a_whole_reads_every_row_first()
    {
        string path = WriteModel(withOutputMatrix: true);
        using var file = GgufFile.Open(path, new TensorFileOptions { UseMemoryMap = false });
        var bytes = file.GetTensor("token_embd.weight").Bytes;
        var values = MemoryMarshal.Cast<byte, float>(bytes);
        for (int r = 0; r < Rows; r += 511) Assert.Equal(Expected(r), values.Slice(r * Columns, Columns).ToArray());
    }

    [Fact]
    public void A_table_that_is_also_the_output_matrix_is_read_at_load()
    {
        string path = WriteModel(withOutputMatrix: false);
        using var file = GgufFile.Open(path, new TensorFileOptions { UseMemoryMap = false });
        RewriteRow(file, path, 4000);
        Assert.Equal(Expected(4000), RowOf(file.GetTensor("token_embd.weight"), 4000));
    }

    [Fact]
    public void A_file_that_ends_before_a_row_is_a_format_error_naming_it()
    {
        string path = _temp.File("short.bin");
        File.WriteAllBytes(path, new byte[10]);
        using var handle = File.OpenHandle(path);
        var error = Assert.Throws<ModelFormatException>(() =>
        {
            var buffer = new byte[20];
            fixed (byte* destination = buffer) RowsOnDemand.ReadExactly(handle, path, destination, 0, 20);
        });
        Assert.Contains("short.bin", error.Message);
        Assert.Contains("shrank", error.Message);
    }
}
