using System.Buffers.Binary;
using PhiSharp.Tensors.Blocks;

namespace PhiSharp.Tensors;

/// <summary>Expands rows stored in any <see cref="GgmlType"/> to float32, exactly as ggml's reference code does.
/// This is the correctness reference; the fast paths live in Kernels.</summary>
public static class Dequantize
{
    /// <summary>Dequantizes <paramref name="dst"/>.Length elements from <paramref name="src"/>, which must hold exactly
    /// their encoded bytes (a whole number of blocks).</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        long expected = GgmlTypeInfo.RowByteSize(type, dst.Length);
        if (src.Length != expected)
            throw new ArgumentException(
                $"{GgmlTypeInfo.Name(type)}: {dst.Length} elements take {expected} bytes, got {src.Length}", nameof(src));

        switch (type)
        {
            case GgmlType.F32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < dst.Length; i++) dst[i] = Fp16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < dst.Length; i++) dst[i] = Bf16.ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]));
                break;
            case GgmlType.Q4_0: Q4_0Block.Dequantize(src, dst); break;
            case GgmlType.Q4_1: Q4_1Block.Dequantize(src, dst); break;
            case GgmlType.Q5_0: Q5_0Block.Dequantize(src, dst); break;
            case GgmlType.Q5_1: Q5_1Block.Dequantize(src, dst); break;
            case GgmlType.Q8_0: Q8_0Block.Dequantize(src, dst); break;
            case GgmlType.Q8_1: Q8_1Block.Dequantize(src, dst); break;
            case GgmlType.Q2_K: Q2_KBlock.Dequantize(src, dst); break;
            case GgmlType.Q3_K: Q3_KBlock.Dequantize(src, dst); break;
            case GgmlType.Q4_K: Q4_KBlock.Dequantize(src, dst); break;
            case GgmlType.Q5_K: Q5_KBlock.Dequantize(src, dst); break;
            case GgmlType.Q6_K: Q6_KBlock.Dequantize(src, dst); break;
            case GgmlType.Q8_K: Q8_KBlock.Dequantize(src, dst); break;
            default: throw new NotSupportedException($"cannot dequantize {GgmlTypeInfo.Name(type)}");
        }
    }
}
