//! The one set of size caps of the memory folder's file service, shared by the consolidation
//! agent's tools and the MCP server, so a file one of them can read or write the other can too.

/// Largest file read or searched, in bytes; larger files are refused by `read` and skipped by
/// `search`.
pub const MAX_READ_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest file written (by the consolidation agent, or as a note), in bytes.
pub const MAX_WRITE_FILE_BYTES: usize = 256 * 1024;
/// Largest note body, in bytes (a note is a short correction or fact, well under the write cap).
pub const MAX_NOTE_BODY_BYTES: usize = 64 * 1024;
/// Longest line shown in a read page or a search match, in bytes; longer lines are cut on a
/// char boundary and end with [`LINE_CUT_MARKER`].
pub const MAX_LINE_BYTES: usize = 4 * 1024;
/// Appended to a line cut at [`MAX_LINE_BYTES`].
pub const LINE_CUT_MARKER: &str = " […line cut]";
/// Most bytes of line text in one MCP read page; the page ends early (at a line boundary).
pub const MAX_READ_PAGE_BYTES: usize = 64 * 1024;
/// Largest tool result handed to the consolidation agent, in bytes (one call must not flood a
/// model's context; the agent reads narrower ranges instead).
pub const MAX_AGENT_RESULT_BYTES: usize = 16 * 1024;

/// `line`, cut to [`MAX_LINE_BYTES`] with a marker when longer.
pub fn bounded_line(line: &str) -> String {
    if line.len() <= MAX_LINE_BYTES {
        return line.to_string();
    }
    let cut = crate::phase1::cut::truncate_to_char_boundary(line, MAX_LINE_BYTES);
    format!("{cut}{LINE_CUT_MARKER}")
}
