//! Handwritten Chinese characters, recognized offline for residents who do not type
//! pinyin: the strokes a finger drew on the kiosk's writing pad go to zinnia (a maintained
//! SVM recognizer, Debian's libzinnia) with the Tegaki project's simplified-Chinese model
//! (Debian's tegaki-zinnia-simplified-chinese), and the likeliest characters come back.
//! No hand-made table: what is recognized is what the model knows.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Where Debian installs the simplified-Chinese model.
pub const DEFAULT_MODEL: &str = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model";

/// The square the model was trained on; strokes are scaled into it.
const SIDE: f32 = 300.0;
/// How much of the square a character fills.
const FILL: f32 = 0.8;

#[derive(Debug, thiserror::Error)]
pub enum HandwritingError {
    #[error("handwriting model {path} could not be opened: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("handwriting recognizer: {0}")]
    Engine(String),
}

/// One point of a stroke, in the pad's own pixels (any size: see [`Recognizer::classify`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// A candidate character and zinnia's score for it (higher is likelier).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub character: String,
    pub score: f32,
}

/// A recognizer with its model loaded (about 20 MB; load once, share).
pub struct Recognizer {
    inner: Mutex<ffi::Engine>,
}

impl Recognizer {
    pub fn open(model: &Path) -> Result<Recognizer, HandwritingError> {
        let engine = ffi::Engine::open(model).map_err(|reason| HandwritingError::Model {
            path: model.to_path_buf(),
            reason,
        })?;
        Ok(Recognizer {
            inner: Mutex::new(engine),
        })
    }

    /// The `n` likeliest characters for `strokes` drawn on a pad `width` × `height`
    /// pixels. The character is centred and scaled into the model's square keeping its
    /// proportions, so one written small in a corner of a large pad still reads. Empty
    /// strokes are skipped; no strokes, no candidates.
    pub fn classify(
        &self,
        strokes: &[Vec<Point>],
        width: f32,
        height: f32,
        n: usize,
    ) -> Result<Vec<Candidate>, HandwritingError> {
        let strokes: Vec<&Vec<Point>> = strokes.iter().filter(|s| !s.is_empty()).collect();
        if strokes.is_empty() || n == 0 {
            return Ok(Vec::new());
        }
        // Written anywhere on the pad, at any size: the character is moved to the middle of
        // the model's square and scaled to fill most of it, keeping its proportions (a
        // lone 一 stays flat), as the model's training characters were written.
        let points = || strokes.iter().flat_map(|s| s.iter());
        let clamp = |p: &Point| (p.x.clamp(0.0, width), p.y.clamp(0.0, height));
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for p in points() {
            let (x, y) = clamp(p);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
        // A dot or a tiny scribble is not blown up to fill the square.
        let extent = (x1 - x0).max(y1 - y0).max(width.max(height) * 0.1).max(1.0);
        let scale = SIDE * FILL / extent;
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let scaled: Vec<Vec<(i32, i32)>> = strokes
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| {
                        let (x, y) = clamp(p);
                        (
                            ((x - cx) * scale + SIDE / 2.0).round() as i32,
                            ((y - cy) * scale + SIDE / 2.0).round() as i32,
                        )
                    })
                    .collect()
            })
            .collect();
        let engine = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        engine
            .classify(&scaled, SIDE as usize, n)
            .map_err(HandwritingError::Engine)
    }
}

/// The C calls, and nothing else unsafe in Gongkai. zinnia's API is plain C: opaque
/// handles created and destroyed in pairs, strings owned by the result they came from.
#[allow(unsafe_code)]
mod ffi {
    use super::Candidate;
    use std::ffi::{c_char, c_float, c_int, CStr, CString};
    use std::path::Path;

    #[repr(C)]
    struct Recognizer {
        _private: [u8; 0],
    }
    #[repr(C)]
    struct Character {
        _private: [u8; 0],
    }
    #[repr(C)]
    struct ZResult {
        _private: [u8; 0],
    }

    extern "C" {
        fn zinnia_recognizer_new() -> *mut Recognizer;
        fn zinnia_recognizer_destroy(r: *mut Recognizer);
        fn zinnia_recognizer_open(r: *mut Recognizer, filename: *const c_char) -> c_int;
        fn zinnia_recognizer_strerror(r: *mut Recognizer) -> *const c_char;
        fn zinnia_recognizer_classify(
            r: *mut Recognizer,
            c: *const Character,
            nbest: usize,
        ) -> *mut ZResult;
        fn zinnia_character_new() -> *mut Character;
        fn zinnia_character_destroy(c: *mut Character);
        fn zinnia_character_set_width(c: *mut Character, width: usize);
        fn zinnia_character_set_height(c: *mut Character, height: usize);
        fn zinnia_character_add(c: *mut Character, id: usize, x: c_int, y: c_int) -> c_int;
        fn zinnia_result_value(r: *mut ZResult, i: usize) -> *const c_char;
        fn zinnia_result_score(r: *mut ZResult, i: usize) -> c_float;
        fn zinnia_result_size(r: *mut ZResult) -> usize;
        fn zinnia_result_destroy(r: *mut ZResult);
    }

    /// An open recognizer. Used under the Mutex in `super::Recognizer`: zinnia does not
    /// say its recognizer may be shared between threads.
    pub struct Engine {
        recognizer: *mut Recognizer,
    }

    // The pointer is owned by this value alone and only used through `&self` under the
    // caller's Mutex, so moving it to another thread is sound.
    unsafe impl Send for Engine {}

    impl Engine {
        pub fn open(model: &Path) -> Result<Engine, String> {
            let path = CString::new(model.to_string_lossy().as_bytes())
                .map_err(|_| "path contains NUL".to_string())?;
            // SAFETY: new() returns an owned handle or null; open() reads the C string.
            unsafe {
                let recognizer = zinnia_recognizer_new();
                if recognizer.is_null() {
                    return Err("zinnia_recognizer_new failed".into());
                }
                if zinnia_recognizer_open(recognizer, path.as_ptr()) == 0 {
                    let why = text(zinnia_recognizer_strerror(recognizer));
                    zinnia_recognizer_destroy(recognizer);
                    return Err(why);
                }
                Ok(Engine { recognizer })
            }
        }

        pub fn classify(
            &self,
            strokes: &[Vec<(i32, i32)>],
            side: usize,
            n: usize,
        ) -> Result<Vec<Candidate>, String> {
            // SAFETY: every handle is created here and destroyed before returning; result
            // strings are copied out before the result is destroyed.
            unsafe {
                let character = zinnia_character_new();
                if character.is_null() {
                    return Err("zinnia_character_new failed".into());
                }
                zinnia_character_set_width(character, side);
                zinnia_character_set_height(character, side);
                for (id, stroke) in strokes.iter().enumerate() {
                    for &(x, y) in stroke {
                        zinnia_character_add(character, id, x, y);
                    }
                }
                let result = zinnia_recognizer_classify(self.recognizer, character, n);
                zinnia_character_destroy(character);
                if result.is_null() {
                    return Err(text(zinnia_recognizer_strerror(self.recognizer)));
                }
                let size = zinnia_result_size(result);
                let mut out = Vec::with_capacity(size);
                for i in 0..size {
                    out.push(Candidate {
                        character: text(zinnia_result_value(result, i)),
                        score: zinnia_result_score(result, i),
                    });
                }
                zinnia_result_destroy(result);
                Ok(out)
            }
        }
    }

    impl Drop for Engine {
        fn drop(&mut self) {
            // SAFETY: the handle was created by zinnia_recognizer_new and is dropped once.
            unsafe { zinnia_recognizer_destroy(self.recognizer) }
        }
    }

    /// A C string zinnia owns, copied.
    unsafe fn text(p: *const c_char) -> String {
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(x0: f32, y0: f32, x1: f32, y1: f32) -> Vec<Point> {
        (0..=10)
            .map(|i| {
                let t = i as f32 / 10.0;
                Point {
                    x: x0 + (x1 - x0) * t,
                    y: y0 + (y1 - y0) * t,
                }
            })
            .collect()
    }

    fn recognizer() -> Recognizer {
        Recognizer::open(Path::new(DEFAULT_MODEL))
            .unwrap_or_else(|e| panic!("{e} (scripts/setup.sh installs the model)"))
    }

    fn top(r: &Recognizer, strokes: &[Vec<Point>], side: f32) -> Vec<String> {
        r.classify(strokes, side, side, 10)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|c| c.character)
            .collect()
    }

    #[test]
    fn strokes_of_common_characters_come_back_as_them() {
        let r = recognizer();
        // 十: across, then down through it.
        let shi = [
            line(40.0, 150.0, 260.0, 150.0),
            line(150.0, 40.0, 150.0, 260.0),
        ];
        assert!(top(&r, &shi, 300.0)[..3].contains(&"十".to_string()));
        // 二: a short stroke above a long one.
        let er = [
            line(80.0, 100.0, 220.0, 100.0),
            line(40.0, 210.0, 260.0, 210.0),
        ];
        assert!(top(&r, &er, 300.0)[..3].contains(&"二".to_string()));
        // 三: three across, the middle one shortest.
        let san = [
            line(70.0, 70.0, 230.0, 70.0),
            line(90.0, 150.0, 210.0, 150.0),
            line(40.0, 235.0, 260.0, 235.0),
        ];
        assert!(top(&r, &san, 300.0)[..3].contains(&"三".to_string()));
        // 王: across, across, down through them, across at the foot.
        let wang = [
            line(60.0, 60.0, 240.0, 60.0),
            line(80.0, 150.0, 220.0, 150.0),
            line(150.0, 60.0, 150.0, 245.0),
            line(40.0, 245.0, 260.0, 245.0),
        ];
        assert!(
            top(&r, &wang, 300.0)[..3].contains(&"王".to_string()),
            "{:?}",
            top(&r, &wang, 300.0)
        );
        // The same 十 on a pad four times larger reads the same.
        let big: Vec<Vec<Point>> = shi
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| Point {
                        x: p.x * 4.0,
                        y: p.y * 4.0,
                    })
                    .collect()
            })
            .collect();
        assert_eq!(top(&r, &big, 1200.0)[0], top(&r, &shi, 300.0)[0]);
    }

    #[test]
    fn nothing_drawn_gives_nothing_and_a_missing_model_is_a_clear_error() {
        let r = recognizer();
        assert!(r
            .classify(&[], 300.0, 300.0, 5)
            .unwrap_or_default()
            .is_empty());
        assert!(r
            .classify(&[Vec::new()], 300.0, 300.0, 5)
            .unwrap_or_default()
            .is_empty());
        let err = Recognizer::open(Path::new("/nonexistent/model")).err();
        assert!(matches!(err, Some(HandwritingError::Model { .. })));
    }
}
