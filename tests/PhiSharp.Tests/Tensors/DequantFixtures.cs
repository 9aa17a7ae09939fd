using System.Runtime.InteropServices;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Tensors;

/// <summary>Reads the llama.cpp-made fixtures in tests/fixtures/dequant (see the README there).</summary>
internal static class DequantFixtures
{
    public const int Rows = 4;
    public const int RowLength = 256;

    public static readonly string Folder = FindFolder();

    public static string FileName(GgmlType type) => GgmlTypeInfo.Name(type);

    public static byte[] Encoded(GgmlType type) => File.ReadAllBytes(System.IO.Path.Combine(Folder, FileName(type) + ".bin"));

    public static float[] Source(GgmlType type) => ReadFloats(FileName(type) + ".src.f32");

    public static float[] LlamaCppDequantized(GgmlType type) => ReadFloats(FileName(type) + ".f32");

    public static float[] ReadFloats(string fileName) =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(System.IO.Path.Combine(Folder, fileName))).ToArray();

    public static ushort[] ReadUInt16s(string fileName) =>
        MemoryMarshal.Cast<byte, ushort>(File.ReadAllBytes(System.IO.Path.Combine(Folder, fileName))).ToArray();

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures", "dequant");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/dequant not found above " + AppContext.BaseDirectory);
    }
}
