// Placeholder until the Formats branch lands with the real implementations. Deleted at merge.
namespace PhiSharp.Tensors;

public static class GgmlTypeInfo
{
    public static long RowByteSize(GgmlType type, long n) => type switch
    {
        GgmlType.F32 => 4 * n,
        GgmlType.F16 or GgmlType.BF16 => 2 * n,
        _ => throw new NotSupportedException(type.ToString()),
    };
}

public static class Dequantize
{
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst) => throw new NotSupportedException(type.ToString());
}
