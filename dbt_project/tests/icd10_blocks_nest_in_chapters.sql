-- Every ICD-10 block lies inside exactly one chapter and no two blocks overlap, so a code
-- gets one block and one chapter that agree. Returns the offending blocks.
with fit as (
    select block.block, count(chapter.chapter) as chapters
    from {{ ref('icd10_blocks') }} as block
    left join {{ ref('icd10_chapters') }} as chapter
        on block.code_start between chapter.code_start and chapter.code_end
       and block.code_end between chapter.code_start and chapter.code_end
    group by block.block
)

select block, 'in ' || chapters || ' chapters' as problem from fit where chapters <> 1
union all
select a.block, 'overlaps ' || b.block
from {{ ref('icd10_blocks') }} as a
join {{ ref('icd10_blocks') }} as b
    on a.block < b.block
   and a.code_start <= b.code_end
   and b.code_start <= a.code_end
