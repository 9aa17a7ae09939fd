using System.Runtime.InteropServices;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Tensors;

/// <summary>The reference quantizers on rows chosen to break them (all zero, constant, one-signed, below ggml's zero
/// threshold, rounding ties, outliers, sub-blocks spanning eight decades, ...), compared byte for byte with llama.cpp's
/// own encoding of the same rows (tests/fixtures/quantize, made by tools/reference/quantize/quantize_fixtures.py).
/// No tolerance: the encoders are deterministic float32 code and ggml's reference quantizers are what llama.cpp's
/// quantize writes, so any differing byte is a bug.</summary>
public class QuantizeEdgeRowsTests
{
    private const int RowLength = 512;

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Edge_rows_encode_to_llama_cpp_bytes(GgmlType type)
    {
        string folder = System.IO.Path.Combine(DequantFixtures.Folder, "..", "quantize");
        float[] rows = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(System.IO.Path.Combine(folder, "rows.f32"))).ToArray();
        byte[] expected = File.ReadAllBytes(System.IO.Path.Combine(folder, GgmlTypeInfo.Name(type) + ".bin"));
        int rowBytes = (int)GgmlTypeInfo.RowByteSize(type, RowLength);
        int rowCount = rows.Length / RowLength;
        Assert.Equal(rowCount * rowBytes, expected.Length);

        var actual = new byte[rowBytes];
        for (int row = 0; row < rowCount; row++)
        {
            Quantize.Row(type, rows.AsSpan(row * RowLength, RowLength), actual);
            ReadOnlySpan<byte> want = expected.AsSpan(row * rowBytes, rowBytes);
            int same = want.CommonPrefixLength(actual);
            Assert.True(same == rowBytes,
                $"{type} row {row}: first differing byte {same} (block {same / GgmlTypeInfo.BlockBytes(type)})");
        }
    }
}
