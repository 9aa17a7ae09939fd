using System.Runtime.InteropServices;

namespace PhiSharp.Rag.Ingestion;

/// <summary>What a path names, links followed. Only <see cref="Regular"/> files are read as documents.</summary>
enum FileKind { Regular, Directory, Fifo, Socket, CharacterDevice, BlockDevice, Other }

/// <summary>
/// Tells a regular file from a FIFO, socket or device before anything opens it: opening a FIFO to read waits for
/// a writer, and a device such as /dev/zero never ends. .NET has no public API for this (FileAttributes is Normal
/// for all of them), so on Unix this asks stat(2) through System.Native, the C shim every .NET runtime ships and
/// uses for the same question: its FileStatus keeps Mode at one offset with the POSIX type bits on every Unix,
/// where libc's struct stat differs by platform.
/// </summary>
static partial class FileKinds
{
    /// <summary>The kind of <paramref name="path"/>, or null when it cannot be known: missing, a broken link, or
    /// behind a folder that cannot be searched (opening it then gives the error that says which).</summary>
    public static FileKind? Of(string path)
    {
        if (OperatingSystem.IsWindows())
            return File.Exists(path) ? FileKind.Regular : Directory.Exists(path) ? FileKind.Directory : null;
        if (Stat(path, out var status) != 0) return null;
        return (status.Mode & TypeMask) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Other,
        };
    }

    /// <summary>Why a file of <paramref name="kind"/> is skipped, as ingest reports it.</summary>
    public static string NotRegular(FileKind kind) => kind switch
    {
        FileKind.Directory => "not a regular file (a folder)",
        FileKind.Fifo => "not a regular file (a FIFO)",
        FileKind.Socket => "not a regular file (a socket)",
        FileKind.CharacterDevice => "not a regular file (a character device)",
        FileKind.BlockDevice => "not a regular file (a block device)",
        _ => "not a regular file",
    };

    const int TypeMask = 0xF000; // S_IFMT; System.Native's S_IF* values are the POSIX ones on every platform

    /// <summary>System.Native's FileStatus begins with int32 Flags, int32 Mode. Fields after them have been added
    /// over .NET versions, so the buffer is larger than any version's and nothing past Mode is read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    struct FileStatus
    {
        [FieldOffset(4)] public int Mode;
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, out FileStatus status);
}
