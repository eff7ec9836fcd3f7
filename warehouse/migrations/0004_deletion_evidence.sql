-- How a post's deletion was established (issue: a feed or a crawl is never evidence on its own):
-- "absent from <the complete listing> since <time>" or "permalink ... answered HTTP 404 when
-- re-checked at <time>". NULL while the post is on the platform.
ALTER TABLE posts ADD COLUMN deleted_how VARCHAR;
