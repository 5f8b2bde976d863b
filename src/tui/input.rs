//! The value being typed for a parameter. It opens with the current value, all of it
//! selected as in a form's field (typing replaces it, Enter keeps it); ←/→/Home/End drop
//! the selection and move a cursor, where typed characters go and Backspace/Delete act.

/// A cursor movement in the input box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorMove {
    Left,
    Right,
    Home,
    End,
}

/// Typed text with a cursor (a char index) and a whole-text selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputBox {
    text: String,
    cursor: usize,
    selected: bool,
}

impl InputBox {
    /// The box opened on a parameter's current value: selected, the cursor at its end.
    pub fn prefilled(text: &str) -> InputBox {
        InputBox {
            text: text.to_string(),
            cursor: text.chars().count(),
            selected: !text.is_empty(),
        }
    }

    /// The box reopened on text to correct: the cursor at its end, nothing selected.
    pub fn editing(text: &str) -> InputBox {
        InputBox {
            selected: false,
            ..InputBox::prefilled(text)
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether the whole text is selected (the next character replaces it).
    pub fn selected(&self) -> bool {
        self.selected
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Drop the selection with its text, if there is one; true if it did.
    fn take_selection(&mut self) -> bool {
        if !self.selected {
            return false;
        }
        self.selected = false;
        self.text.clear();
        self.cursor = 0;
        true
    }

    /// Type a character at the cursor (replacing the selection).
    pub fn insert(&mut self, c: char) {
        self.take_selection();
        let at = self.byte_at(self.cursor);
        self.text.insert(at, c);
        self.cursor += 1;
    }

    /// Delete the character before the cursor (or the selection).
    pub fn backspace(&mut self) {
        if self.take_selection() || self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    /// Delete the character under the cursor (or the selection).
    pub fn delete(&mut self) {
        if self.take_selection() || self.cursor >= self.text.chars().count() {
            return;
        }
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    /// Move the cursor; the selection goes (its text stays).
    pub fn move_cursor(&mut self, to: CursorMove) {
        self.selected = false;
        let len = self.text.chars().count();
        self.cursor = match to {
            CursorMove::Left => self.cursor.saturating_sub(1),
            CursorMove::Right => (self.cursor + 1).min(len),
            CursorMove::Home => 0,
            CursorMove::End => len,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_replaces_the_selection_then_inserts_at_the_cursor() {
        let mut b = InputBox::prefilled("0.01");
        assert!(b.selected());
        b.insert('5');
        assert_eq!((b.text(), b.cursor(), b.selected()), ("5", 1, false));
        let mut b = InputBox::prefilled("0.01");
        b.move_cursor(CursorMove::Home);
        b.move_cursor(CursorMove::Right);
        b.insert('0');
        assert_eq!(b.text(), "00.01");
        b.move_cursor(CursorMove::End);
        b.backspace();
        assert_eq!(b.text(), "00.0");
        b.move_cursor(CursorMove::Home);
        b.delete();
        b.move_cursor(CursorMove::Left);
        assert_eq!((b.text(), b.cursor()), ("0.0", 0));
        // Multi-byte characters move as one.
        let mut b = InputBox::editing("σ₁x");
        b.move_cursor(CursorMove::Left);
        b.backspace();
        assert_eq!((b.text(), b.cursor()), ("σx", 1));
        // Backspace on a selection clears it all; an empty value opens unselected.
        let mut b = InputBox::prefilled("abc");
        b.backspace();
        assert_eq!(b.text(), "");
        assert!(!InputBox::prefilled("").selected());
    }
}
