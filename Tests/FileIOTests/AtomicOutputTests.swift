import Foundation
import TestSupport
import Testing

@testable import FileIO

/// The atomic-output protocol in one process: creation, commit, replacement, abandonment, the
/// lock, leftovers of dead processes, long names. (Signals and kills at every step of a real
/// conversion: CLITests/FaultInjectionTests.)
@Suite struct AtomicOutputTests {
  /// Writes `text` as `name` in a folder output, or as the file itself.
  private func fill(_ output: AtomicOutput, _ text: String, file name: String? = nil) throws {
    let writer = try FileWriter(creating: name.map(output.temporaryPath(of:)) ?? output.temporaryPath)
    try writer.write(Array(text.utf8))
    try writer.synchronize()
  }

  /// Sets (`+i`) or clears (`-i`) the immutable attribute of `path`.
  private func immutable(_ flag: String, _ path: String) throws {
    let chattr = try Process.run(URL(fileURLWithPath: "/usr/bin/chattr"), arguments: [flag, path])
    chattr.waitUntilExit()
    #expect(chattr.terminationStatus == 0, "chattr \(flag)")
  }

  private func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Whether `notice` was posted (no handler is set in the tests, so every notice is held; each
  /// names a path of its own test's folder).
  private func noticed(_ notice: String) -> Bool { OutputNotices.shared.undelivered.contains(notice) }

  @Test func folderIsCommittedThenReplacedWhole() throws {
    let dir = TemporaryDirectory()
    let first = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: false)
    #expect(TemporaryRegistry.shared.pending.contains(first.temporaryPath))
    try fill(first, "old a", file: "a")
    try fill(first, "old b", file: "b")
    #expect(!FileManager.default.fileExists(atPath: dir.file("out")), "nothing at the final name before the commit")
    try first.commit()
    #expect(!TemporaryRegistry.shared.pending.contains(first.temporaryPath))
    #expect(dir.contents() == ["out"])
    let second = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: true)
    try fill(second, "new a", file: "a")
    try second.commit()
    #expect(read(dir.file("out/a")) == "new a")
    #expect(!FileManager.default.fileExists(atPath: dir.file("out/b")), "the old folder is replaced, not merged")
    #expect(dir.contents() == ["out"], "the old folder and the lock file are gone")
  }

  /// A replaced folder in which the owner's check finds what it did not write at the commit
  /// is put back whole, with that file; one it accepts is replaced.
  @Test func aDisplacedFolderTheOwnerRefusesIsPutBack() throws {
    let dir = TemporaryDirectory()
    let first = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: false)
    try fill(first, "old a", file: "a")
    try first.commit()
    let refuseNotes: (String) -> String? = { path in
      FileManager.default.fileExists(atPath: path + "/notes") ? "holds notes" : nil
    }
    do {
      let second = try AtomicOutput(
        finalPath: dir.file("out"), isDirectory: true, replacing: true, displacedRefusal: refuseNotes)
      try fill(second, "new a", file: "a")
      dir.write("out/notes", Array("keep".utf8))
      #expect(throws: FileIOError(path: dir.file("out"), reason: "holds notes")) { try second.commit() }
    }
    #expect(read(dir.file("out/a")) == "old a" && read(dir.file("out/notes")) == "keep")
    #expect(dir.contents() == ["out"], "the new output abandoned, the lock released")
    try FileManager.default.removeItem(atPath: dir.file("out/notes"))
    let third = try AtomicOutput(
      finalPath: dir.file("out"), isDirectory: true, replacing: true, displacedRefusal: refuseNotes)
    try fill(third, "new a", file: "a")
    try third.commit()
    #expect(read(dir.file("out/a")) == "new a")
    #expect(dir.contents() == ["out"])
  }

  /// A folder output that became a file or a link while the new one was written is put back
  /// as it is, not deleted.
  @Test(arguments: ["file", "link"]) func anOutputThatStoppedBeingAFolderIsPutBack(kind: String) throws {
    let dir = TemporaryDirectory()
    let first = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: false)
    try fill(first, "old", file: "a")
    try first.commit()
    do {
      let second = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: true)
      try fill(second, "new", file: "a")
      try FileManager.default.removeItem(atPath: dir.file("out"))
      if kind == "file" {
        dir.write("out", Array("mine".utf8))
      } else {
        dir.write("target", Array("mine".utf8))
        try FileManager.default.createSymbolicLink(atPath: dir.file("out"), withDestinationPath: dir.file("target"))
      }
      #expect(
        throws: FileIOError(
          path: dir.file("out"),
          reason: "became a file or a symbolic link while it was being written; it is left as it is")
      ) {
        try second.commit()
      }
    }
    #expect(read(dir.file("out")) == "mine")
    #expect(
      dir.contents() == (kind == "file" ? ["out"] : ["out", "target"]), "the new output is gone, nothing else left")
  }

  /// The displaced folder and a refused new output are removed by the names they held when
  /// checked: a file put into either after that is left, with its folder, never deleted.
  @Test func filesPutIntoAFolderAfterItsCheckAreLeft() throws {
    let dir = TemporaryDirectory()
    let first = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: false)
    try fill(first, "old", file: "a")
    try first.commit()
    // Accepted, then a file arrives in the displaced folder before its removal.
    let second = try AtomicOutput(
      finalPath: dir.file("out"), isDirectory: true, replacing: true,
      displacedRefusal: { path in
        _ = FileManager.default.createFile(atPath: path + "/late", contents: Data("kept".utf8))
        return nil
      })
    try fill(second, "new", file: "a")
    try second.commit()
    #expect(read(dir.file("out/a")) == "new")
    let left = dir.file(URL(fileURLWithPath: second.temporaryPath).lastPathComponent)
    #expect(try FileManager.default.contentsOfDirectory(atPath: left) == ["late"], "the old a removed, late kept")
    #expect(read(left + "/late") == "kept")
    let notice = "\(dir.file("out")) is replaced, but late put in the old output while this run wrote the new one"
    #expect(noticed(notice + " is kept in \(left)"))
    try FileManager.default.removeItem(atPath: left)
    // Refused, after a file arrived in the new output while it stood in place.
    do {
      let third = try AtomicOutput(
        finalPath: dir.file("out"), isDirectory: true, replacing: true,
        displacedRefusal: { [dir] _ in
          FileManager.default.createFile(atPath: dir.file("out/late"), contents: Data("kept".utf8))
          return "refused"
        })
      try fill(third, "newer", file: "a")
      #expect(throws: FileIOError(path: dir.file("out"), reason: "refused")) { try third.commit() }
      #expect(read(dir.file("out/a")) == "new", "the old output is back")
      let kept = dir.file(URL(fileURLWithPath: third.temporaryPath).lastPathComponent)
      #expect(try FileManager.default.contentsOfDirectory(atPath: kept) == ["late"])
      #expect(noticed("late put in the new \(dir.file("out")) while it stood in place is kept in \(kept)"))
    }
  }

  /// A temporary's name left by a dead process whose PID this one now has is not this
  /// process's: it is skipped, never written into or removed.
  @Test func anotherProcessLeftoverUnderThisProcessIDIsLeftAlone() throws {
    let dir = TemporaryDirectory()
    let next = TemporaryRegistry.shared.nextSerial()
    let planted = (next + 1...next + 200).map { SiblingNames.temporary(stem: "out", pid: getpid(), serial: $0) }
    for name in planted { dir.write(name, Array("theirs".utf8)) }
    let abandoned = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: false)
    #expect(!planted.contains(URL(fileURLWithPath: abandoned.temporaryPath).lastPathComponent))
    abandoned.abandon()
    let committed = try AtomicOutput(finalPath: dir.file("out"), isDirectory: false, replacing: false)
    try fill(committed, "mine")
    try committed.commit()
    #expect(read(dir.file("out")) == "mine")
    #expect(planted.allSatisfy { read(dir.file($0)) == "theirs" })
    #expect(dir.contents().count == planted.count + 1)
  }

  @Test func fileIsCommittedThenReplaced() throws {
    let dir = TemporaryDirectory()
    for text in ["old", "new"] {
      let output = try AtomicOutput(finalPath: dir.file("x.h5"), isDirectory: false, replacing: text == "new")
      try fill(output, text)
      try output.commit()
      #expect(read(dir.file("x.h5")) == text)
    }
    #expect(dir.contents() == ["x.h5"])
  }

  @Test func existingOutputsAreRefusedUnlessReplacedAndOfTheSameKind() throws {
    let dir = TemporaryDirectory()
    dir.write("file", Array("keep".utf8))
    try FileManager.default.createDirectory(atPath: dir.file("folder"), withIntermediateDirectories: false)
    try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: dir.file("folder"))
    let cases: [(String, Bool, Bool, String, Remedy?)] = [
      ("file", false, false, "already exists", .replaceOutput),
      ("file", true, true, "already exists as a file", nil),
      ("folder", false, true, "already exists as a folder", nil),
      // The other kind is named first: replacing would not help, so it is not suggested.
      ("folder", false, false, "already exists as a folder; remove it first", nil),
      ("file", true, false, "already exists as a file; remove it first", nil),
      ("link", true, true, "is a symbolic link", nil),
      ("missing/out", true, false, "does not exist", nil),
    ]
    for (name, isDirectory, replacing, reason, remedy) in cases {
      #expect { try AtomicOutput(finalPath: dir.file(name), isDirectory: isDirectory, replacing: replacing) } throws: {
        ($0 as? FileIOError)?.reason.contains(reason) == true && ($0 as? FileIOError)?.remedy == remedy
      }
    }
    #expect(dir.contents() == ["file", "folder", "link"], "no temporary or lock file is left")
    #expect(read(dir.file("file")) == "keep")
  }

  @Test func abandonedOutputsLeaveNothing() throws {
    let dir = TemporaryDirectory()
    dir.write("x", Array("old".utf8))
    do {
      let output = try AtomicOutput(finalPath: dir.file("x"), isDirectory: false, replacing: true)
      try fill(output, "new")
      #expect(dir.contents().count == 3, "the file, its temporary and its lock")
    }
    #expect(dir.contents() == ["x"] && read(dir.file("x")) == "old", "dropped without a commit")
    let output = try AtomicOutput(finalPath: dir.file("b"), isDirectory: true, replacing: false)
    try fill(output, "a", file: "a")
    output.abandon()
    #expect(dir.contents() == ["x"])
    #expect(!TemporaryRegistry.shared.pending.contains(output.temporaryPath))
  }

  @Test func aSecondWriterOfTheSameOutputIsRefusedWhileTheFirstWrites() throws {
    let dir = TemporaryDirectory()
    let first = try AtomicOutput(finalPath: dir.file("m.h5"), isDirectory: false, replacing: false)
    #expect { try AtomicOutput(finalPath: dir.file("m.h5"), isDirectory: false, replacing: true) } throws: {
      ($0 as? FileIOError)?.reason == "another process is writing it"
    }
    try fill(first, "first")
    try first.commit()
    let second = try AtomicOutput(finalPath: dir.file("m.h5"), isDirectory: false, replacing: true)
    second.abandon()
    #expect(dir.contents() == ["m.h5"])
  }

  /// An existing output is removed whole: it leaves its name in one rename, never while
  /// another writer holds its lock; nothing there is nothing to do; and what cannot be deleted
  /// after the rename stays recorded, for the next writer in the folder to remove.
  @Test func removeExistingTakesTheOutputAwayWhole() throws {
    let dir = TemporaryDirectory()
    let folder = try AtomicOutput(finalPath: dir.file("b"), isDirectory: true, replacing: false)
    try fill(folder, "a", file: "a")
    try fill(folder, "c", file: "c")
    try folder.commit()
    let writer = try AtomicOutput(finalPath: dir.file("b"), isDirectory: true, replacing: true)
    #expect {
      try AtomicOutput(finalPath: dir.file("b"), isDirectory: true, replacing: true).removeExisting()
    } throws: {
      ($0 as? FileIOError)?.reason == "another process is writing it"
    }
    writer.abandon()
    #expect(dir.contents() == ["b"])
    try AtomicOutput(finalPath: dir.file("b"), isDirectory: true, replacing: true).removeExisting()
    #expect(dir.contents().isEmpty)
    try AtomicOutput(finalPath: dir.file("b"), isDirectory: true, replacing: true).removeExisting()
    try AtomicOutput(finalPath: dir.file("m.h5"), isDirectory: false, replacing: true).removeExisting()
    #expect(dir.contents().isEmpty, "nothing to remove")

    // A folder that cannot be emptied (a file in it is immutable) is named where it went.
    let stuck = try AtomicOutput(finalPath: dir.file("s"), isDirectory: true, replacing: false)
    try fill(stuck, "f", file: "f")
    try stuck.commit()
    try immutable("+i", dir.file("s/f"))
    #expect {
      try AtomicOutput(finalPath: dir.file("s"), isDirectory: true, replacing: true).removeExisting()
    } throws: {
      ($0 as? FileIOError)?.reason.contains("to be removed, but f could not be deleted") == true
    }
    let moved = try #require(dir.contents().first { $0.hasPrefix(".s.tmp-") })
    try immutable("-i", dir.file(moved + "/f"))
    #expect(!dir.contents().contains("s") && dir.contents().contains(".s.lock"), "\(dir.contents())")
    // The lock file records it: the next writer in the folder removes it, once this process has ended.
    #expect(try String(contentsOfFile: dir.file(".s.lock"), encoding: .utf8).contains(moved))
  }

  /// Removing only what was looked at: another file at the path (a new inode) is left, and so
  /// is one with the same inode number whose status changed since (as a file made since under a
  /// reused number has); the same one, unchanged, is removed with its companions.
  @Test func removeExistingRemovesOnlyTheFileLookedAt() throws {
    let dir = TemporaryDirectory()
    func output(_ bytes: String) throws -> FileIdentity {
      let file = try AtomicOutput(finalPath: dir.file("m.onnx"), isDirectory: false, replacing: true)
      try fill(file, bytes)
      try file.commit()
      return try #require(FileIdentity(of: dir.file("m.onnx")))
    }
    func remove(ifStill identity: FileIdentity) throws -> Bool {
      try AtomicOutput(finalPath: dir.file("m.onnx"), isDirectory: false, replacing: true)
        .removeExisting(ifStill: identity, alongWith: [dir.file("m.onnx.data")])
    }
    let looked = try output("a")
    _ = try output("b")
    dir.write("m.onnx.data", [1])
    #expect(try !remove(ifStill: looked) && dir.contents() == ["m.onnx", "m.onnx.data"])
    let same = try output("c")
    usleep(20_000)  // past the file system's clock tick, which may be coarse
    #expect(chmod(dir.file("m.onnx"), 0o600) == 0)
    let changed = try #require(FileIdentity(of: dir.file("m.onnx")))
    #expect(changed == same && !changed.isUnchanged(from: same))
    #expect(try !remove(ifStill: same) && dir.contents() == ["m.onnx", "m.onnx.data"])
    #expect(try remove(ifStill: changed) && dir.contents().isEmpty)

    // Taken with the files it is made of, an identity changes with any of them.
    _ = try output("e")
    dir.write("m.onnx.data", [1])
    let whole = try #require(FileIdentity(of: dir.file("m.onnx"), madeOf: [dir.file("m.onnx.data")]))
    usleep(20_000)
    dir.write("m.onnx.data", [2])
    func removeWhole() throws -> Bool {
      try AtomicOutput(finalPath: dir.file("m.onnx"), isDirectory: false, replacing: true)
        .removeExisting(ifStill: whole, madeOf: [dir.file("m.onnx.data")], alongWith: [dir.file("m.onnx.data")])
    }
    #expect(try !removeWhole() && dir.contents() == ["m.onnx", "m.onnx.data"])

    // A companion that cannot be deleted (immutable) is named.
    let kept = try output("d")
    dir.write("m.onnx.data", [1])
    try immutable("+i", dir.file("m.onnx.data"))
    defer { try? immutable("-i", dir.file("m.onnx.data")) }
    #expect {
      try remove(ifStill: kept)
    } throws: {
      ($0 as? FileIOError)?.reason == "was removed, but m.onnx.data could not be deleted: Operation not permitted"
    }
    #expect(dir.contents() == ["m.onnx.data"])
  }

  @Test func anOutputThatAppearedWhileWritingIsNotOverwritten() throws {
    let dir = TemporaryDirectory()
    let output = try AtomicOutput(finalPath: dir.file("m.h5"), isDirectory: false, replacing: false)
    try fill(output, "mine")
    dir.write("m.h5", Array("theirs".utf8))
    #expect { try output.commit() } throws: {
      ($0 as? FileIOError)?.reason.contains("appeared while it was being written") == true
    }
    output.abandon()
    #expect(read(dir.file("m.h5")) == "theirs" && dir.contents() == ["m.h5"])
  }

  @Test func commitAsMovesIntoPlaceUnderTheNameGivenThen() throws {
    let dir = TemporaryDirectory()
    let output = try AtomicOutput(finalPath: dir.file("m.onnx.data"), isDirectory: false, replacing: true)
    try fill(output, "weights")
    try output.commit(as: "m.onnx.0123456789ab.data")
    #expect(dir.contents() == ["m.onnx.0123456789ab.data"] && output.finalPath == dir.file("m.onnx.0123456789ab.data"))
  }

  /// The process IDs of processes that have ended.
  private func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
  }

  /// A writer killed where nobody reaps it (a container whose first process does not) is a
  /// zombie, which still answers `kill(pid, 0)`: it runs no more, so its temporary goes too.
  @Test func aZombieWritersLeftoverIsRemoved() throws {
    let dir = TemporaryDirectory()
    // The shell starts `true` and becomes `sleep`, which never reaps it.
    let parent = Process()
    parent.executableURL = URL(fileURLWithPath: "/bin/sh")
    parent.arguments = ["-c", "true & echo $!; exec sleep 30"]
    let out = Pipe()
    parent.standardOutput = out
    try parent.run()
    defer { parent.terminate() }
    let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
    let zombie = try #require(Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)))
    let state = { try? String(contentsOfFile: "/proc/\(zombie)/stat", encoding: .utf8) }
    for _ in 0..<500 where state()?.contains(") Z ") != true { usleep(10_000) }
    #expect(state()?.contains(") Z ") == true && kill(zombie, 0) == 0, "a zombie, which kill still finds")
    dir.write(".m.h5.tmp-\(zombie)-1", [1])
    dir.write(".m.h5.lock", Array(".m.h5.tmp-\(zombie)-1\n".utf8))
    let output = try AtomicOutput(finalPath: dir.file("m.h5"), isDirectory: false, replacing: false)
    #expect(dir.contents() == [".m.h5.lock"], "\(dir.contents())")
    output.abandon()
  }

  @Test func leftoversOfDeadProcessesAreRemovedByTheNextWriterInTheFolder() throws {
    let dir = TemporaryDirectory()
    let dead = try deadProcessID()
    // A bundle's temporary with a file in it and a displaced old file, each recorded in the
    // lock file its killed writer left.
    try FileManager.default.createDirectory(atPath: dir.file(".b.tmp-\(dead)-1"), withIntermediateDirectories: false)
    dir.write(".b.tmp-\(dead)-1/graph.json", [1])
    dir.write(".b.lock", Array(".b.tmp-\(dead)-1\n".utf8))
    dir.write(".m.h5.tmp-\(dead)-7", [2])
    dir.write(".m.h5.lock", Array(".m.h5.tmp-\(dead)-6\n.m.h5.tmp-\(dead)-7\n".utf8))
    // Kept: a temporary of a live process (PID 1), names that only look similar, a user's
    // folder under a temporary's name that no lock file records (one with a lock file that
    // records another name, one with none), and a name another stem's lock records.
    dir.write(".k.tmp-1-1", [3])
    dir.write(".k.lock", Array(".k.tmp-1-1\n".utf8))
    dir.write(".notes.tmp-x-1", [4])
    dir.write("visible.tmp-\(dead)-1", [5])
    try FileManager.default.createDirectory(atPath: dir.file(".u.tmp-\(dead)-1"), withIntermediateDirectories: false)
    dir.write(".u.tmp-\(dead)-1/mine.txt", [6])
    dir.write(".v.tmp-\(dead)-2", [7])
    dir.write(".v.lock", Array(".v.tmp-\(dead)-1\n.u.tmp-\(dead)-1\n".utf8))
    // A lock file whose killed writer had no temporary yet (or had committed) goes too; lock
    // files that are not all such records (another program's, an empty one) stay.
    dir.write(".gone.lock", Array(".gone.tmp-\(dead)-3\n.gone.tmp-\(dead)-3\t12\n".utf8))
    dir.write(".tool.lock", Array("1234\n".utf8))
    dir.write(".mixed.lock", Array(".mixed.tmp-\(dead)-1\nowner=me\n".utf8))
    dir.write(".empty.lock", [])
    let output = try AtomicOutput(finalPath: dir.file("other"), isDirectory: false, replacing: false)
    #expect(
      dir.contents() == [
        ".empty.lock", ".k.tmp-1-1", ".mixed.lock", ".notes.tmp-x-1", ".other.lock", ".tool.lock",
        ".u.tmp-\(dead)-1", ".v.tmp-\(dead)-2", "visible.tmp-\(dead)-1",
      ])
    #expect(read(dir.file(".tool.lock")) == "1234\n")
    #expect(read(dir.file(".u.tmp-\(dead)-1/mine.txt")) == "\u{6}")
    // The writer records its own temporary before creating it, for the next one should it die.
    #expect(read(dir.file(".other.lock")) == output.temporaryPath.split(separator: "/").last! + "\n")
    output.abandon()
  }

  /// A leftover recorded with an inode it no longer has is the output its killed writer had
  /// displaced: removed only when the next writer's check accepts it as an export (here: no
  /// `notes` in it), kept otherwise or without a check; one that still has its recorded inode
  /// is the killed writer's own temporary, removed whole.
  @Test(arguments: [
    (notes: true, sameInode: false, checked: true, removed: false),
    (notes: false, sameInode: false, checked: true, removed: true),
    (notes: false, sameInode: false, checked: false, removed: false),
    (notes: true, sameInode: true, checked: true, removed: true),
  ])
  func aDisplacedLeftoverIsRemovedOnlyWhenItsCheckAcceptsIt(
    notes: Bool, sameInode: Bool, checked: Bool, removed: Bool
  ) throws {
    let dir = TemporaryDirectory()
    let dead = try deadProcessID()
    let leftover = ".out.tmp-\(dead)-1"
    try FileManager.default.createDirectory(atPath: dir.file(leftover), withIntermediateDirectories: false)
    dir.write(leftover + "/a", [1])
    if notes { dir.write(leftover + "/notes", Array("keep".utf8)) }
    var info = stat()
    #expect(lstat(dir.file(leftover), &info) == 0)
    let inode = UInt64(info.st_ino) + (sameInode ? 0 : 1)
    dir.write(".out.lock", Array("\(leftover)\n\(leftover)\t\(inode)\n".utf8))
    let refuseNotes: (String) -> String? = { path in
      FileManager.default.fileExists(atPath: path + "/notes") ? "holds notes" : nil
    }
    let output = try AtomicOutput(
      finalPath: dir.file("out"), isDirectory: true, replacing: true, displacedRefusal: checked ? refuseNotes : nil)
    output.abandon()
    #expect(FileManager.default.fileExists(atPath: dir.file(leftover)) == !removed)
    if notes && !removed { #expect(read(dir.file(leftover + "/notes")) == "keep") }
    #expect(
      noticed(
        "\(dir.file(leftover)) is kept: a run killed while it replaced \(dir.file("out")) left what was there "
          + "before, and it holds more than an export; move out what you need, then remove it") == !removed)
  }

  /// A displaced output its killed writer had checked loses the entries checked, not a file
  /// put into it after the check.
  @Test func aCheckedDisplacedLeftoverLosesOnlyTheEntriesChecked() throws {
    let dir = TemporaryDirectory()
    let dead = try deadProcessID()
    let leftover = ".out.tmp-\(dead)-1"
    try FileManager.default.createDirectory(atPath: dir.file(leftover), withIntermediateDirectories: false)
    dir.write(leftover + "/a", [1])
    dir.write(leftover + "/late", Array("keep".utf8))
    var info = stat()
    #expect(lstat(dir.file(leftover), &info) == 0)
    dir.write(".out.lock", Array("\(leftover)\t\(info.st_ino + 1)\n\(leftover)\t\(info.st_ino)\tdisplaced\ta\n".utf8))
    let output = try AtomicOutput(finalPath: dir.file("out"), isDirectory: true, replacing: true)
    output.abandon()
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file(leftover)) == ["late"])
    #expect(
      noticed(
        "late put in the old \(dir.file("out")) while a run that was killed replaced it is kept in "
          + dir.file(leftover)))
  }

  @Test func namesUpTo255BytesWorkAndNeverShareTheirSiblings() throws {
    let dir = TemporaryDirectory()
    let a = String(repeating: "a", count: 250) + ".data"  // 255 bytes
    let b = String(repeating: "a", count: 250) + ".dat2"
    for (name, isDirectory) in [(a, true), (b, false)] {
      let output = try AtomicOutput(finalPath: dir.file(name), isDirectory: isDirectory, replacing: false)
      #expect(output.temporaryPath.split(separator: "/").last!.utf8.count <= 255)
      try fill(output, "data", file: isDirectory ? "f" : nil)
      try output.commit()
    }
    #expect(Set(dir.contents()) == [a, b])
    #expect(SiblingNames.stem(a) != SiblingNames.stem(b))
    let wide = String(repeating: "é", count: 127)  // 254 bytes of two-byte scalars
    #expect(String(validating: Array(SiblingNames.stem(wide).utf8), as: UTF8.self) != nil)
    #expect(SiblingNames.stem("short") == "short")
  }

  @Test func temporaryNamesAreParsedBack() {
    #expect(SiblingNames.parseTemporary(SiblingNames.temporary(stem: "out.h5", pid: 42, serial: 3))! == ("out.h5", 42))
    #expect(SiblingNames.parseTemporary(".a.tmp-b.tmp-9-1")! == ("a.tmp-b", 9))
    for name in [".tmp-1-1", "x.tmp-1-1", ".x.tmp-1", ".x.tmp-1-", ".x.tmp-a-1", ".x.tmp-0-1", ".x.lock"] {
      #expect(SiblingNames.parseTemporary(name) == nil, "\(name)")
    }
  }
}
