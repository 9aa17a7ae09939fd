using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// Dot products for vector search, float and int8, in tiers: Vector512 (AVX-512), Vector256 (AVX2), Vector128
/// (SSE / ARM64 NEON, the Raspberry Pi path) and scalar. The widest accelerated tier is picked at run time; each
/// tier is internal so tests can run it directly whatever the machine supports.
/// </summary>
public static class VectorMath
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vector lengths differ: {a.Length} and {b.Length}");
        if (Vector512.IsHardwareAccelerated) return DotFloat512(a, b);
        if (Vector256.IsHardwareAccelerated) return DotFloat256(a, b);
        if (Vector128.IsHardwareAccelerated) return DotFloat128(a, b);
        return DotFloatScalar(a, b, 0, 0f);
    }

    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vector lengths differ: {a.Length} and {b.Length}");
        if (Vector512.IsHardwareAccelerated) return DotInt8_512(a, b);
        if (Vector256.IsHardwareAccelerated) return DotInt8_256(a, b);
        if (Vector128.IsHardwareAccelerated) return DotInt8_128(a, b);
        return DotInt8Scalar(a, b, 0, 0);
    }

    internal static float DotFloat512(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a), pb = ref MemoryMarshal.GetReference(b);
        var acc = Vector512<float>.Zero;
        int i = 0;
        for (; i + 16 <= a.Length; i += 16)
            acc += Vector512.LoadUnsafe(ref pa, (nuint)i) * Vector512.LoadUnsafe(ref pb, (nuint)i);
        return DotFloatScalar(a, b, i, Vector512.Sum(acc));
    }

    internal static float DotFloat256(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a), pb = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<float>.Zero;
        int i = 0;
        for (; i + 8 <= a.Length; i += 8)
            acc += Vector256.LoadUnsafe(ref pa, (nuint)i) * Vector256.LoadUnsafe(ref pb, (nuint)i);
        return DotFloatScalar(a, b, i, Vector256.Sum(acc));
    }

    internal static float DotFloat128(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref float pa = ref MemoryMarshal.GetReference(a), pb = ref MemoryMarshal.GetReference(b);
        var acc = Vector128<float>.Zero;
        int i = 0;
        for (; i + 4 <= a.Length; i += 4)
            acc += Vector128.LoadUnsafe(ref pa, (nuint)i) * Vector128.LoadUnsafe(ref pb, (nuint)i);
        return DotFloatScalar(a, b, i, Vector128.Sum(acc));
    }

    internal static float DotFloatScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int from, float sum)
    {
        for (int i = from; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    // int8: each lane pair is widened to 16 bits and multiplied there (|product| ≤ 128·128 fits), then the
    // products are widened to 32 bits before they are summed so that no length can overflow a lane.
    internal static int DotInt8_512(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref sbyte pa = ref MemoryMarshal.GetReference(a), pb = ref MemoryMarshal.GetReference(b);
        var acc = Vector512<int>.Zero;
        int i = 0;
        for (; i + 64 <= a.Length; i += 64)
        {
            var (al, ah) = Vector512.Widen(Vector512.LoadUnsafe(ref pa, (nuint)i));
            var (bl, bh) = Vector512.Widen(Vector512.LoadUnsafe(ref pb, (nuint)i));
            acc += Sum(Vector512.Widen(al * bl)) + Sum(Vector512.Widen(ah * bh));
        }
        return DotInt8Scalar(a, b, i, Vector512.Sum(acc));
    }

    internal static int DotInt8_256(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref sbyte pa = ref MemoryMarshal.GetReference(a), pb = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<int>.Zero;
        int i = 0;
        for (; i + 32 <= a.Length; i += 32)
        {
            var (al, ah) = Vector256.Widen(Vector256.LoadUnsafe(ref pa, (nuint)i));
            var (bl, bh) = Vector256.Widen(Vector256.LoadUnsafe(ref pb, (nuint)i));
            acc += Sum(Vector256.Widen(al * bl)) + Sum(Vector256.Widen(ah * bh));
        }
        return DotInt8Scalar(a, b, i, Vector256.Sum(acc));
    }

    internal static int DotInt8_128(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        ref sbyte pa = ref MemoryMarshal.GetReference(a), pb = ref MemoryMarshal.GetReference(b);
        var acc = Vector128<int>.Zero;
        int i = 0;
        for (; i + 16 <= a.Length; i += 16)
        {
            var (al, ah) = Vector128.Widen(Vector128.LoadUnsafe(ref pa, (nuint)i));
            var (bl, bh) = Vector128.Widen(Vector128.LoadUnsafe(ref pb, (nuint)i));
            acc += Sum(Vector128.Widen(al * bl)) + Sum(Vector128.Widen(ah * bh));
        }
        return DotInt8Scalar(a, b, i, Vector128.Sum(acc));
    }

    internal static int DotInt8Scalar(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int from, int sum)
    {
        for (int i = from; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Sum((Vector512<int> Lower, Vector512<int> Upper) pair) => pair.Lower + pair.Upper;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Sum((Vector256<int> Lower, Vector256<int> Upper) pair) => pair.Lower + pair.Upper;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> Sum((Vector128<int> Lower, Vector128<int> Upper) pair) => pair.Lower + pair.Upper;
}
